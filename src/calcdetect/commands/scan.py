"""``calcdetect scan DICOM_DIR -o OUT``: analyse a folder of mammograms.

Exit status: 0 when every file was analysed; 3 (``EXIT_SOME_SKIPPED``) when
the run finished and its outputs are complete but some files are listed in
``errors.csv``; 2 (``EXIT_FATAL``) for bad arguments, an unwritable output
folder, an unreachable Dask scheduler or another error that stopped the run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tomllib

from calcdetect.commands.options import add_analysis_options, detector_config, pseudonymize_key

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``calcdetect scan`` and its options on the CLI's subparsers."""
    parser = subparsers.add_parser(
        "scan",
        help="detect microcalcification clusters in every DICOM file of a folder",
        description=(
            "Analyse every file under DICOM_DIR (recursively, recognised by content) and write "
            "images.csv, calcifications.csv, clusters.csv, patients.csv, errors.csv, run.json, "
            "overlays/ and sr/ (one Mammography CAD SR per study) into OUT. Exit status: 0 all analysed, 3 some files skipped (see errors.csv), "
            "2 fatal error."
        ),
    )
    parser.add_argument("dicom_dir", metavar="DICOM_DIR", help="folder of DICOM files (searched recursively)")
    parser.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder (created)")
    add_analysis_options(parser, workers_help="worker processes on this machine, or workers of --dask local "
                                              "(default 1)", timeout_note="; not applied with --dask")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run in OUT, reusing files already analysed")
    parser.add_argument("--default-spacing-mm", type=float, metavar="S",
                        help="pixel spacing in mm for files whose header has none (else they are skipped)")
    parser.add_argument("--dask", metavar="ADDRESS|local",
                        help="run on a Dask scheduler (tcp://host:8786) or a local Dask cluster ('local'); "
                             "input files must be readable at the same paths on every worker")
    parser.add_argument("--progress", dest="progress", action="store_const", const=True, default=None,
                        help="always show the progress bar (default: only on a terminal)")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the scan; print the summary; return EXIT_OK, EXIT_SOME_SKIPPED or EXIT_FATAL."""
    from calcdetect.batch import ScanError, format_summary, scan_folder
    from calcdetect.exit_status import EXIT_FATAL, EXIT_OK, EXIT_SOME_SKIPPED

    try:
        config = detector_config(args)
    except (OSError, ValueError, TypeError, KeyError, tomllib.TOMLDecodeError) as exc:
        print(f"calcdetect scan: cannot use --config {args.config!r}: {exc}", file=sys.stderr)
        return EXIT_FATAL
    if args.dask and not getattr(args, "verbose", 0):
        import distributed  # noqa: F401 - its import sets its loggers to INFO; quiet them after

        logging.getLogger("distributed").setLevel(logging.WARNING)
    key = pseudonymize_key(args)
    try:
        summary = scan_folder(
            args.dicom_dir,
            args.out,
            workers=args.workers,
            resume=args.resume,
            overlays=args.overlays,
            config=config,
            default_spacing_mm=args.default_spacing_mm,
            pseudonymize_key=key,
            dask_address=args.dask,
            progress=args.progress,
            timeout_s=args.timeout_s or None,
            sr=args.sr,
            show_rejected=args.show_rejected,
        )
    except ScanError as exc:
        print(f"calcdetect scan: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except KeyboardInterrupt:
        print("calcdetect scan: interrupted; run again with --resume to continue", file=sys.stderr)
        return EXIT_FATAL
    print(format_summary(summary))
    return EXIT_OK if summary.all_analysed else EXIT_SOME_SKIPPED
