"""Shared fixtures for the phantom tests: a few small phantoms, made once."""

from __future__ import annotations

import pytest

from calcdetect.phantom import make_phantom


@pytest.fixture(scope="session")
def positive_phantoms():
    """Four small phantoms with a cluster (both views and lateralities)."""
    return [make_phantom(seed=100 + i, preset="small", view=("CC", "MLO")[i % 2],
                         laterality=("L", "R")[i // 2], with_cluster=True) for i in range(4)]


@pytest.fixture(scope="session")
def negative_phantom():
    return make_phantom(seed=7, preset="small", view="MLO", laterality="R", with_cluster=False)
