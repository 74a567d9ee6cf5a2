"""The mutant generator (mutants.py, shared with scripts/fuzz_scan.py), loaded by path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
PHANTOMS = HERE.parents[2] / "data" / "phantoms"
FIXTURES = HERE / "fixtures"


def _load():
    name = "calcdetect_fuzz_mutants"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / "mutants.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def mutants():
    return _load()


@pytest.fixture(scope="session")
def bases(mutants):
    """Every small sample phantom in every claimed transfer syntax (about 100 datasets, < 1 s)."""
    return mutants.base_datasets(PHANTOMS)
