"""The options ``calcdetect scan`` and ``calcdetect serve`` share, declared once.

Both analyse images with the same worker (:class:`calcdetect.batch.worker.ScanSettings`),
so the detector configuration, the patient-key secret, the overlays, the CAD SRs,
the per-file time limit and the number of workers are the same options with the same
defaults; each command adds only a note where its use differs.
"""

from __future__ import annotations

import argparse
import os

from calcdetect.config import DetectorConfig

__all__ = ["DEFAULT_TIMEOUT_S", "add_analysis_options", "detector_config", "pseudonymize_key"]

#: per-file time limit of the command line: a full-size JPEG 2000 image takes ~2.5 s to read and analyse
DEFAULT_TIMEOUT_S = 300.0

_KEY_ENVIRONMENT = "CALCDETECT_PSEUDONYMIZE_KEY"


def add_analysis_options(parser: argparse.ArgumentParser, *, workers_help: str, sr_note: str = "",
                         timeout_note: str = "") -> None:
    """Add ``--workers``, ``--config``, ``--pseudonymize-key``, ``--no-overlays``, ``--show-rejected``,
    ``--no-sr`` and ``--timeout-s``.

    ``workers_help`` says what the workers are for this command; ``sr_note``
    and ``timeout_note`` are appended to those options' help.
    """
    parser.add_argument("--workers", type=int, default=1, metavar="N", help=workers_help)
    parser.add_argument("--config", metavar="FILE",
                        help="detector configuration (JSON or TOML, keys of DetectorConfig.to_dict())")
    parser.add_argument("--pseudonymize-key", metavar="KEY",
                        help=f"secret for keyed-hash patient keys (or set {_KEY_ENVIRONMENT})")
    parser.add_argument("--no-overlays", dest="overlays", action="store_false",
                        help="do not write the review PNGs and overlays/index.html (faster)")
    parser.add_argument("--show-rejected", action="store_true",
                        help="cross in magenta, on the overlays, the candidates rejected as artefacts (dust, "
                             "scratch, scanner_line, vascular; their reason is in calcifications.csv either way)")
    parser.add_argument("--no-sr", dest="sr", action="store_false",
                        help="do not write the Mammography CAD SRs (one DICOM SR per study in OUT/sr)" + sr_note)
    parser.add_argument("--timeout-s", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help="per-file limit for reading + analysing one file in a local worker; a file that "
                             f"exceeds it twice is listed as 'timeout' in errors.csv (default {DEFAULT_TIMEOUT_S:g}; "
                             "0 = no limit" + timeout_note + ")")


def detector_config(args: argparse.Namespace) -> DetectorConfig | None:
    """The configuration of ``--config``, or None when none was given (the calibrated default applies).

    Raises
    ------
    OSError, ValueError, TypeError, KeyError, tomllib.TOMLDecodeError
        The file cannot be read or holds an unusable configuration.
    """
    return DetectorConfig.from_file(args.config) if args.config else None


def pseudonymize_key(args: argparse.Namespace) -> str | None:
    """``--pseudonymize-key``, else the environment's ``CALCDETECT_PSEUDONYMIZE_KEY``, else None."""
    return args.pseudonymize_key or os.environ.get(_KEY_ENVIRONMENT) or None
