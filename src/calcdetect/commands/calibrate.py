"""``calcdetect calibrate OUT_CONFIG --seed S --n N [--preset P]``: choose the operating point.

Makes a training phantom set from ``--seed`` (record it; never evaluate on
it), runs the detector at each ``--snr`` threshold and writes the chosen
configuration (JSON, :meth:`DetectorConfig.to_json`) to ``OUT_CONFIG``.  To
make it the package default, write it to ``src/calcdetect/data/default_config.json``.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from calcdetect.evaluation.calibration import DEFAULT_SNR_THRESHOLDS, FP_PER_IMAGE, calibrate
from calcdetect.exit_status import EXIT_FATAL, EXIT_OK
from calcdetect.config import DetectorConfig

__all__ = ["add_parser", "run"]

log = logging.getLogger(__name__)


def _floats(text: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("calibrate", help="choose the detector's operating point on training phantoms",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("out_config", type=Path, help="JSON file to write")
    parser.add_argument("--seed", type=int, required=True, help="seed of the TRAINING phantom set (recorded)")
    parser.add_argument("--n", type=int, default=40, help="number of training images (default 40, half positive)")
    parser.add_argument("--preset", default="demo-mix", help="phantom preset or mix (default demo-mix)")
    parser.add_argument("--snr", type=_floats, default=list(DEFAULT_SNR_THRESHOLDS),
                        help="candidate SNR thresholds to choose from (default "
                             f"{','.join(f'{t:g}' for t in DEFAULT_SNR_THRESHOLDS)})")
    parser.add_argument("--base", type=Path, help="configuration JSON for every other parameter")
    parser.add_argument("--workers", type=int, default=1, help="processes for writing phantoms")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        base = DetectorConfig.from_json(str(args.base)) if args.base else DetectorConfig()
        result = calibrate(set_seed=args.seed, n=args.n, preset=args.preset, snr_thresholds=args.snr,
                           base=base, workers=args.workers)
    except (ValueError, OSError) as exc:
        log.error("calibration failed: %s", exc)
        return EXIT_FATAL
    chosen = result.config.snr_threshold
    out = args.out_config
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(result.config.to_json(), encoding="utf-8")
    os.replace(tmp, out)
    print(f"wrote {out}: snr_threshold {result.config.snr_threshold:g}, image_threshold "
          f"{result.config.image_threshold:g} (training: cluster sensitivity at {FP_PER_IMAGE:g} FP/image "
          f"{result.cluster_sensitivity_by_snr[chosen]:.2f}, image AUC {result.auc_by_snr[chosen]:.3f}, "
          f"sensitivity {result.sensitivity:.2f}, specificity {result.specificity:.2f}, {result.n_images} images)")
    return EXIT_OK
