"""``calcdetect scan`` and ``calcdetect serve`` declare their shared analysis options once."""

from __future__ import annotations

import argparse

import pytest

from calcdetect.commands import scan, serve
from calcdetect.commands.options import detector_config, pseudonymize_key
from calcdetect.config import DetectorConfig

SHARED = {"workers": 1, "config": None, "pseudonymize_key": None, "overlays": True, "sr": True, "timeout_s": 300.0}


def _parsers():
    root = argparse.ArgumentParser()
    sub = root.add_subparsers(dest="command")
    scan.add_parser(sub)
    serve.add_parser(sub)
    return root


def test_scan_and_serve_have_the_same_shared_options_and_defaults():
    root = _parsers()
    a = root.parse_args(["scan", "in", "-o", "out"])
    b = root.parse_args(["serve", "out", "--allow", "PACS"])
    for dest, default in SHARED.items():
        assert getattr(a, dest) == default, dest
        assert getattr(b, dest) == default, dest
    flags = ["--workers", "3", "--config", "c.toml", "--pseudonymize-key", "k", "--no-overlays", "--no-sr",
             "--timeout-s", "12.5"]
    a = root.parse_args(["scan", "in", "-o", "out", *flags])
    b = root.parse_args(["serve", "out", "--allow", "PACS", *flags])
    expected = {"workers": 3, "config": "c.toml", "pseudonymize_key": "k", "overlays": False, "sr": False,
                "timeout_s": 12.5}
    assert {d: getattr(a, d) for d in SHARED} == expected == {d: getattr(b, d) for d in SHARED}


def test_the_patient_key_secret_comes_from_the_option_else_the_environment(monkeypatch):
    monkeypatch.delenv("CALCDETECT_PSEUDONYMIZE_KEY", raising=False)
    assert pseudonymize_key(argparse.Namespace(pseudonymize_key=None)) is None
    monkeypatch.setenv("CALCDETECT_PSEUDONYMIZE_KEY", "from-env")
    assert pseudonymize_key(argparse.Namespace(pseudonymize_key=None)) == "from-env"
    assert pseudonymize_key(argparse.Namespace(pseudonymize_key="given")) == "given"


def test_a_config_file_changes_only_what_it_names(tmp_path):
    assert detector_config(argparse.Namespace(config=None)) is None
    path = tmp_path / "c.toml"
    path.write_text("tophat_size_mm = 1.0\n")
    config = detector_config(argparse.Namespace(config=str(path)))
    default = DetectorConfig.default()
    assert config.tophat_size_mm == 1.0
    assert config.image_threshold == default.image_threshold
    with pytest.raises((ValueError, KeyError, TypeError)):
        bad = tmp_path / "bad.toml"
        bad.write_text("no_such_field = 1\n")
        detector_config(argparse.Namespace(config=str(bad)))
