"""``calcdetect calibrate OUT_CONFIG (--normals DIR | --seed S[:PRESET[:RESOLUTIONS]] ...)``: the operating point.

With ``--normals DIR`` (a site's own normal exams, no truth needed) or on
training phantom sets made from ``--seed`` (record them; never evaluate on them),
the image threshold is set where ``--fp-per-image`` false clusters per image
remain (``--film-fp-per-image`` on images taken for scanned film) -- for each
false-positive model on the images it scored (pixels finer than
``spot_min_spacing_mm``: ``image_threshold``; coarser: ``image_threshold_coarse``;
on film their ``_film`` twins; with ``--per-preset``, on each preset's images,
the highest kept) -- and the configuration (JSON, :meth:`DetectorConfig.to_json`) is
written to ``OUT_CONFIG`` for ``calcdetect scan --config``.  To make a
phantom calibration the package default, write it to
``src/calcdetect/data/default_config.json``.

The shipped thresholds follow the rule of::

    calcdetect calibrate OUT.json --n 200 --per-preset --workers 2 \\
        --seed 20261130:mix:native,0.2 --seed 20261202:mix:native,0.2 \\
        --seed 20261203:mix:native,0.2 --seed 20261204:mix:native,0.2 \\
        --seed 98000002:film-mix --seed 98100001:film-mix --seed 98100002:film-mix --seed 98100003:film-mix

(they were chosen from ``calcdetect evaluate``'s matches of scans of these sets; on
``--seed 20261130:mix:native,0.2`` alone this command gives the same 0.222871 as its scans,
``docs/measurements/2026-12-03/pooled_threshold/``; the film pair is the same command's at the
default ``--film-fp-per-image 0.05``, ``docs/measurements/2026-12-03/film_threshold/``).
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from calcdetect.atomic import atomic_write_text
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import detect_mammogram
from calcdetect.evaluation.calibration import (
    FILM_FP_PER_IMAGE,
    FP_PER_IMAGE,
    CalibrationResult,
    calibrate_on_normals,
    calibrate_on_phantom_sets,
    read_normals,
)
from calcdetect.exit_status import EXIT_FATAL, EXIT_OK

__all__ = ["add_parser", "run", "resolutions_argument", "seed_argument", "SeedSpec"]

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


@dataclass(frozen=True)
class SeedSpec:
    """One ``--seed``: a phantom set's seed, and its preset and resolutions where given (else the
    command's ``--preset`` and ``--resample-mm``)."""

    seed: int
    preset: str | None = None
    resample_mm: tuple[float | None, ...] | None = None

    def describe(self, preset: str, resample_mm: tuple[float | None, ...]) -> str:
        res = "+".join("native" if r is None else f"{r:g} mm" for r in resample_mm)
        return f"{self.seed} ({preset}, {res})"


def seed_argument(text: str) -> SeedSpec:
    """argparse type of ``--seed``: ``'20261130'``, ``'98000002:film-mix'``, ``'20261130:mix:native,0.2'``."""
    seed, _, rest = text.partition(":")
    preset, _, resolutions = rest.partition(":")
    try:
        value = int(seed)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SEED[:PRESET[:RESOLUTIONS]], got {text!r}") from None
    return SeedSpec(value, preset or None, tuple(resolutions_argument(resolutions)) if resolutions else None)


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "calibrate", help="choose the image threshold on your normal exams (or on training phantoms)",
        description=__doc__.split("\n\n")[1])
    parser.add_argument("out_config", type=Path, help="JSON configuration file to write")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--normals", type=Path, help="folder of normal exams (DICOM); no truth needed")
    source.add_argument("--seed", type=seed_argument, action="append",
                        help="seed of a TRAINING phantom set (recorded), optionally with its own preset and "
                             "resolutions: SEED[:PRESET[:RESOLUTIONS]]; repeat for several sets")
    parser.add_argument("--fp-per-image", type=float, default=FP_PER_IMAGE,
                        help=f"false clusters per image allowed (default {FP_PER_IMAGE:g})")
    parser.add_argument("--film-fp-per-image", type=float, default=FILM_FP_PER_IMAGE,
                        help="... on images taken for scanned screen-film (the header's Conversion Type DF or "
                             f"Detector Type FILM, or image_family in --base; default {FILM_FP_PER_IMAGE:g}: "
                             "at most 5 %% of normal films flagged)")
    parser.add_argument("--n", type=int, default=40, help="phantoms: number of images (default 40, half positive)")
    parser.add_argument("--preset", default="mix", help="phantoms: preset or mix (default mix)")
    parser.add_argument("--resample-mm", type=resolutions_argument, default=[None],
                        help="phantoms: resolutions, e.g. 'native,0.2' (default native)")
    parser.add_argument("--fine-texture", action="store_true",
                        help="phantoms: with the breast texture continued above the anatomy grid "
                             "(calcdetect.phantom.fine_texture; recorded in the calibration note)")
    parser.add_argument("--per-preset", action="store_true",
                        help="phantoms: each model's threshold is the highest of its presets' (the shipped rule)")
    parser.add_argument("--base", type=Path, help="configuration JSON for every other parameter")
    parser.add_argument("--workers", type=int, default=1, help="phantoms: processes for writing them")
    parser.set_defaults(run=run)
    return parser


def _on_normals(args: argparse.Namespace, base: DetectorConfig) -> CalibrationResult:
    results = []
    for path, m in read_normals(args.normals):
        results.append(detect_mammogram(m, config=base))
        log.info("%s: best cluster score %.3f", path.name, results[-1].score)
    return calibrate_on_normals(results, fp_per_image=args.fp_per_image, film_fp_per_image=args.film_fp_per_image,
                                base=base, source=str(args.normals))


def _on_phantoms(args: argparse.Namespace, base: DetectorConfig) -> CalibrationResult:
    from calcdetect.phantom import write_phantom_set

    if args.n < 4:
        raise ValueError(f"calibration needs at least 4 images, got --n {args.n}")
    specs: list[SeedSpec] = args.seed
    plans = [(spec, spec.preset or args.preset, spec.resample_mm or tuple(args.resample_mm)) for spec in specs]
    seeds = (f"set seed {specs[0].seed}" if len(specs) == 1 and specs[0] == SeedSpec(specs[0].seed)
             else "set seeds " + ", ".join(spec.describe(preset, res) for spec, preset, res in plans))
    if args.fine_texture:
        seeds += " (with the fine texture)"
    with tempfile.TemporaryDirectory(prefix="calcdetect-calibrate-") as tmp:
        sets = [(write_phantom_set(Path(tmp) / f"set_{k}", n=args.n, seed=spec.seed, preset=preset,
                                   workers=args.workers, fine_texture=args.fine_texture), res)
                for k, (spec, preset, res) in enumerate(plans)]
        return calibrate_on_phantom_sets(sets, fp_per_image=args.fp_per_image,
                                         film_fp_per_image=args.film_fp_per_image, base=base, seeds=seeds,
                                         per_preset=args.per_preset)


def run(args: argparse.Namespace) -> int:
    try:
        base = DetectorConfig.from_json(str(args.base)) if args.base else DetectorConfig.default()
        result = _on_normals(args, base) if args.normals is not None else _on_phantoms(args, base)
    except (ValueError, OSError) as exc:
        log.error("calibration failed: %s", exc)
        print(f"calcdetect calibrate: {exc}")
        return EXIT_FATAL
    atomic_write_text(args.out_config, result.config.to_json())
    sens = "" if result.sensitivity != result.sensitivity else f", true-cluster sensitivity {result.sensitivity:.2f}"
    print(f"wrote {args.out_config}: {result.config.calibration_note}\n"
          f"({result.n_images} images: {result.false_clusters_per_image:.3f} false clusters per image, "
          f"{result.flagged_fraction:.1%} of cluster-free images flagged{sens}; a threshold whose model and "
          "image family (digital, film) scored none of these images is kept)")
    return EXIT_OK
