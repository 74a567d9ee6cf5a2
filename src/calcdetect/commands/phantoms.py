"""``calcdetect phantoms OUT``: write synthetic mammograms with ground truth.

Either a set (``--n``, ``--preset``, ``--positive-fraction``) or, with
``--cohort RECORDS.csv``, one patient per clinical record (CC and MLO of the
index breast; clusters exactly where the record says microcalcification is
positive).  Every image is ``NAME.dcm`` + ``NAME.truth.json``; ``manifest.csv``
lists them (with each cluster's visibility class), ``set_summary.json`` gives
the class mix (a set: 70 % visible, 20 % subtle, 10 % occult clusters; a
cohort: every positive record's cluster visible) and the presets a mix drew
(``--preset film-mix``: digitised screen-film at 0.05, 0.1 and 0.2 mm), and
``cohort_skipped.csv`` the records that could not be used.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from calcdetect.exit_status import EXIT_FATAL, EXIT_OK, EXIT_SOME_SKIPPED

__all__ = ["add_parser", "run"]

logger = logging.getLogger(__name__)


def add_parser(subparsers) -> argparse.ArgumentParser:
    from calcdetect.phantom.presentation import PRESENTATION_PROCESSING  # noqa: PLC0415 (fast --help)
    from calcdetect.phantom.presets import MIX_FAMILIES, PRESETS  # noqa: PLC0415

    names = ", ".join(list(PRESETS) + list(MIX_FAMILIES))
    parser = subparsers.add_parser(
        "phantoms", help="write synthetic mammograms (DICOM) with ground truth",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output folder (created if missing)")
    parser.add_argument("--n", type=int, default=10, help="number of images for a set (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same files")
    parser.add_argument("--preset", default=None,
                        help=f"vendor preset or mix (default: mix for a set, demo for a cohort); one of: {names}")
    parser.add_argument("--cohort", type=Path, metavar="RECORDS.csv",
                        help="one patient per record (columns patient_id, microcalcification[, laterality])")
    parser.add_argument("--positive-fraction", type=float, default=0.5,
                        help="fraction of a set's images holding a cluster (default 0.5)")
    parser.add_argument("--visibility-mix", default=None, metavar="visible=0.7,subtle=0.2,occult=0.1",
                        help="class mix of a set's clusters (default 70/20/10; docs/phantom-truth.md); "
                        "a cohort's clusters are always visible")
    parser.add_argument("--presentation-processing", default="none", choices=tuple(PRESENTATION_PROCESSING),
                        help="a vendor's processing of a set's FOR PRESENTATION images: unsharp masking or "
                        "multi-frequency enhancement (calcdetect.phantom.presentation; default none)")
    parser.add_argument("--fine-texture", action="store_true",
                        help="continue the breast texture's 1/f^3 spectrum above the anatomy grid's ~2.4 "
                        "cycles/mm, the band a calcification is seen in (calcdetect.phantom.fine_texture; a "
                        "harder set: the shipped models were trained without it)")
    parser.add_argument("--workers", type=int, default=1, help="processes to use (default 1)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep images already in OUT that were made with the same seed and arguments")
    parser.set_defaults(run=run)
    return parser


def parse_mix(text: str | None) -> dict[str, float] | None:
    """``"visible=0.7,subtle=0.2,occult=0.1"`` -> dict (None stays None).

    Examples
    --------
    >>> parse_mix("visible=1")
    {'visible': 1.0}
    """
    if text is None:
        return None
    out = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--visibility-mix: {part!r} is not CLASS=WEIGHT (e.g. visible=0.7)") from None
        if not sep:
            raise ValueError(f"--visibility-mix: {part!r} is not CLASS=WEIGHT (e.g. visible=0.7)")
    return out


def _skipped(path: Path) -> list[dict]:
    import csv  # noqa: PLC0415

    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def run(args: argparse.Namespace) -> int:
    from calcdetect.phantom.presets import MIX_FAMILIES  # noqa: PLC0415
    from calcdetect.phantom.sets import read_set_summary, write_cohort_phantoms, write_phantom_set  # noqa: PLC0415

    t0 = time.perf_counter()
    try:
        if args.cohort is not None:
            if args.presentation_processing != "none":
                raise ValueError("--presentation-processing applies to a set (--n), not to --cohort")
            if args.fine_texture:
                raise ValueError("--fine-texture applies to a set (--n), not to --cohort")
            preset = args.preset or "demo"
            paths = write_cohort_phantoms(args.out, args.cohort, seed=args.seed, preset=preset,
                                          workers=args.workers, reuse_existing=args.reuse)
            skipped = _skipped(args.out / "cohort_skipped.csv")
        else:
            preset = args.preset or "mix"
            paths = write_phantom_set(args.out, n=args.n, seed=args.seed, preset=preset,
                                      positive_fraction=args.positive_fraction, workers=args.workers,
                                      reuse_existing=args.reuse, visibility_mix=parse_mix(args.visibility_mix),
                                      presentation_processing=args.presentation_processing,
                                      fine_texture=args.fine_texture)
            skipped = []
    except (ValueError, OSError) as exc:
        logger.error("%s", exc)
        print(f"calcdetect phantoms: error: {exc}")
        return EXIT_FATAL
    dt = time.perf_counter() - t0
    print(f"wrote {len(paths)} phantom image(s) to {args.out} in {dt:.1f} s"
          f" ({dt / max(len(paths), 1):.2f} s per image)")
    summ = read_set_summary(args.out)
    if len(summ.get("preset_counts") or {}) > 1 or summ.get("preset_requested") in MIX_FAMILIES:
        print(f"presets ({summ['preset_requested']}): "
              + ", ".join(f"{k} {v}" for k, v in summ["preset_counts"].items()))
    if summ.get("n_with_cluster"):
        counts = summ["visibility_counts"]
        asked = ", ".join(f"{k} {v:.0%}" for k, v in (summ.get("visibility_mix_requested") or {}).items())
        print(f"clusters: {summ['n_with_cluster']} ({', '.join(f'{k} {v}' for k, v in counts.items())}; "
              f"mix asked for: {asked}; rule in docs/phantom-truth.md), summary in {args.out / 'set_summary.json'}")
        if summ.get("visibility_counts_at_0.2mm"):
            at_coarse = summ["visibility_counts_at_0.2mm"]
            print(f"the same clusters in the images area-averaged to 0.2 mm: "
                  f"{', '.join(f'{k} {v}' for k, v in at_coarse.items())}")
    if skipped:
        print(f"skipped {len(skipped)} record(s), listed in {args.out / 'cohort_skipped.csv'}:")
        for s in skipped:
            print(f"  row {s['row_number']} ({s['patient_id'] or 'no id'}): {s['reason']}")
        return EXIT_SOME_SKIPPED
    return EXIT_OK
