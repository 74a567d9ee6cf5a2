"""``calcdetect review OUT [--reader NAME] [--port 8765] [--host 127.0.0.1] [--summary]``: a reader's review.

Serves a review page for the overlays of a ``calcdetect scan`` output folder on
this machine only (127.0.0.1, unless ``--host`` says otherwise), at an address
with a random token that is printed at start. The reader confirms or rejects
each flagged cluster, marks clusters the detector missed and decides each
patient; every decision is saved at once in ``OUT/review/<reader>/``
(``decisions.csv``, ``patients.csv``; see ``docs/outputs.md``). ``--summary``
prints and writes the agreement between the detector and each reader, and
between readers, to ``OUT/review/summary.csv``.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import logging
import signal
import sys
from pathlib import Path

from calcdetect.exit_status import EXIT_FATAL, EXIT_OK

__all__ = ["add_parser", "run"]

log = logging.getLogger(__name__)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "review", help="review the flagged clusters in a browser (confirm / reject / add) and decide each patient",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("out", type=Path, help="output folder of `calcdetect scan`")
    parser.add_argument("--reader", default=None,
                        help="reader name (letters, digits, _ - .); default: your login name")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on (0: any free port); default 8765")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on; default 127.0.0.1 (this machine only)")
    parser.add_argument("--summary", action="store_true",
                        help="print and write the agreement summary instead of serving the page")
    parser.set_defaults(run=run)
    return parser


def _summary(out: Path) -> int:
    from calcdetect.review.summary import format_summary, summarize, write_summary

    try:
        rows = summarize(out)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        print(f"calcdetect review: {exc}", file=sys.stderr)
        return EXIT_FATAL
    n_patients = None
    try:
        with open(out / "patients.csv", encoding="utf-8") as fh:
            n_patients = max(0, sum(1 for _ in fh) - 1)
    except OSError:
        pass
    path = out / "review" / "summary.csv"
    write_summary(rows, path)
    print(format_summary(rows, n_patients=n_patients))
    print(f"written to {path}")
    return EXIT_OK


def _default_reader() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. some containers)
        return "reader"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def run(args: argparse.Namespace) -> int:
    """Serve the review page until interrupted (or print the summary); 0 on success, 2 when it cannot start."""
    from calcdetect.review.decisions import DecisionStore, ReaderBusyError, validate_reader
    from calcdetect.review.server import make_server
    from calcdetect.review.study import load_study

    out = Path(args.out)
    if args.summary:
        return _summary(out)
    try:
        reader = validate_reader(args.reader if args.reader is not None else _default_reader())
        study = load_study(out)
        if not study.patients:
            raise ValueError(f"{out / 'patients.csv'} lists no patient: nothing to review")
        store = DecisionStore(study, reader)
    except (FileNotFoundError, ValueError, ReaderBusyError, OSError) as exc:
        print(f"calcdetect review: {exc}", file=sys.stderr)
        return EXIT_FATAL
    try:
        server = make_server(study, store, host=args.host, port=args.port)
    except OSError as exc:
        store.close()
        print(f"calcdetect review: cannot listen on {args.host}:{args.port} ({exc}); choose another --port",
              file=sys.stderr)
        return EXIT_FATAL
    if not _is_loopback(args.host):
        print(f"warning: listening on {args.host}: anyone who can reach it and has the address below can review; "
              "the connection is not encrypted", file=sys.stderr)
    n_images = sum(len(p.images) for p in study.patients)

    def _stop(_signum, _frame) -> None:
        raise KeyboardInterrupt  # serve_forever runs in this thread: leave it the way Ctrl-C does

    # installed, not inherited: a server started in the background (where the shell ignores SIGINT)
    # or by a service manager (SIGTERM) stops as cleanly as one stopped with Ctrl-C in a terminal;
    # and before the address is printed, since whoever reads it may stop the server at once
    previous = {}
    try:
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, _stop)
        print(f"reviewing {len(study.patients)} patient(s), {n_images} image(s) of {out} as reader {reader!r}; "
              f"decisions saved in {store.folder}")
        print(f"open {server.url}", flush=True)
        print("(Ctrl-C or SIGTERM stops the server; every decision is already saved)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return EXIT_OK
