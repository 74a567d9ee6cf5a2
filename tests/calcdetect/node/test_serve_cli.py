"""Bad command lines of `calcdetect serve` stop at once with exit status 2 and say what is wrong."""

from __future__ import annotations

import pytest

from calcdetect.cli import main


@pytest.mark.parametrize("extra, message", [
    (["--forward", "PACS@host"], "--forward takes AET@HOST:PORT"),
    (["--tls-key", "k.pem"], "--tls-cert and --tls-key go together"),
    (["--tls-ca", "ca.pem"], "--tls-ca (mutual TLS) needs --tls-cert"),
    (["--ae-title", "A" * 17], "--ae-title must have 1 to 16 characters"),
    (["--max-pdu-kb", "1"], "max_pdu_bytes must be at least 4096"),
    (["--tls-cert", "missing.crt", "--tls-key", "missing.key"], "No such file"),
])
def test_bad_arguments_exit_2_with_the_reason(tmp_path, capsys, extra, message):
    status = main(["serve", str(tmp_path / "out"), "--port", "0", "--allow", "PACS", *extra])
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing was created


def test_allow_is_required(tmp_path, capsys):
    assert main(["serve", str(tmp_path / "out")]) == 2
    assert "--allow" in capsys.readouterr().err
