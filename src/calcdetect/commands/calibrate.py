"""``calcdetect calibrate OUT_CONFIG (--normals DIR | --seed S)``: choose the operating point.

With ``--normals DIR`` (a site's own normal exams, no truth needed) or on a
training phantom set made from ``--seed`` (record it; never evaluate on it),
the image threshold is set where ``--fp-per-image`` false clusters per image
remain -- for each false-positive model on the images it scored (pixels finer
than ``spot_min_spacing_mm``: ``image_threshold``; coarser:
``image_threshold_coarse``) -- and the configuration (JSON, :meth:`DetectorConfig.to_json`) is
written to ``OUT_CONFIG`` for ``calcdetect scan --config``.  To make a
phantom calibration the package default, write it to
``src/calcdetect/data/default_config.json``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from calcdetect.atomic import atomic_write_text
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import detect_mammogram
from calcdetect.evaluation.calibration import (
    FP_PER_IMAGE,
    CalibrationResult,
    calibrate_on_normals,
    calibrate_on_phantoms,
    read_normals,
)
from calcdetect.exit_status import EXIT_FATAL, EXIT_OK

__all__ = ["add_parser", "run", "resolutions_argument"]

log = logging.getLogger(__name__)


def resolutions_argument(text: str) -> list[float | None]:
    """argparse type of ``--resample-mm``: ``'native,0.2'`` -> ``[None, 0.2]``."""
    out: list[float | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part in ("", "none", "native"):
            out.append(None)
            continue
        try:
            out.append(float(part))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected 'native' or a pixel size in mm, got {part!r}") from None
    return out


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "calibrate", help="choose the image threshold on your normal exams (or on training phantoms)",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("out_config", type=Path, help="JSON configuration file to write")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--normals", type=Path, help="folder of normal exams (DICOM); no truth needed")
    source.add_argument("--seed", type=int, help="seed of a TRAINING phantom set (recorded)")
    parser.add_argument("--fp-per-image", type=float, default=FP_PER_IMAGE,
                        help=f"false clusters per image allowed (default {FP_PER_IMAGE:g})")
    parser.add_argument("--n", type=int, default=40, help="phantoms: number of images (default 40, half positive)")
    parser.add_argument("--preset", default="mix", help="phantoms: preset or mix (default mix)")
    parser.add_argument("--resample-mm", type=resolutions_argument, default=[None],
                        help="phantoms: resolutions, e.g. 'native,0.2' (default native)")
    parser.add_argument("--base", type=Path, help="configuration JSON for every other parameter")
    parser.add_argument("--workers", type=int, default=1, help="phantoms: processes for writing them")
    parser.set_defaults(run=run)
    return parser


def _on_normals(folder: Path, fp: float, base: DetectorConfig) -> CalibrationResult:
    results = []
    for path, m in read_normals(folder):
        results.append(detect_mammogram(m, config=base))
        log.info("%s: best cluster score %.3f", path.name, results[-1].score)
    return calibrate_on_normals(results, fp_per_image=fp, base=base, source=str(folder))


def _on_phantoms(args: argparse.Namespace, base: DetectorConfig) -> CalibrationResult:
    from calcdetect.phantom import write_phantom_set

    if args.n < 4:
        raise ValueError(f"calibration needs at least 4 images, got --n {args.n}")
    with tempfile.TemporaryDirectory(prefix="calcdetect-calibrate-") as tmp:
        paths = write_phantom_set(tmp, n=args.n, seed=args.seed, preset=args.preset, workers=args.workers)
        return calibrate_on_phantoms(paths, fp_per_image=args.fp_per_image, base=base,
                                     seeds=f"set seed {args.seed}", resample_mm=args.resample_mm)


def run(args: argparse.Namespace) -> int:
    try:
        base = DetectorConfig.from_json(str(args.base)) if args.base else DetectorConfig.default()
        result = (_on_normals(args.normals, args.fp_per_image, base) if args.normals is not None
                  else _on_phantoms(args, base))
    except (ValueError, OSError) as exc:
        log.error("calibration failed: %s", exc)
        print(f"calcdetect calibrate: {exc}")
        return EXIT_FATAL
    atomic_write_text(args.out_config, result.config.to_json())
    sens = "" if result.sensitivity != result.sensitivity else f", true-cluster sensitivity {result.sensitivity:.2f}"
    print(f"wrote {args.out_config}: {result.config.calibration_note}\n"
          f"({result.n_images} images: {result.false_clusters_per_image:.3f} false clusters per image, "
          f"{result.flagged_fraction:.1%} of cluster-free images flagged{sens}; a model that scored none "
          "of these images keeps its threshold)")
    return EXIT_OK
