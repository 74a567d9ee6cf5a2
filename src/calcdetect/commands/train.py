"""``calcdetect train OUT [--seed S ...]``: rebuild the false-positive model from phantoms.

Without options it uses the recipe recorded in the shipped model
(``calcdetect/data/fp_model.json``: phantom set seeds, number of images,
preset, resolutions, tree parameters), so the shipped model is rebuilt bit
for bit (same library versions).  Writes ``OUT.txt`` (the LightGBM model)
and ``OUT.json`` (its metadata, with leave-one-preset-out validation); use it
with ``"fp_model": "OUT"`` in a ``--config`` file, or copy both files to
``src/calcdetect/data/fp_model.*`` to ship it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from importlib import resources
from pathlib import Path

from calcdetect.commands.calibrate import resolutions_argument
from calcdetect.config import DetectorConfig
from calcdetect.exit_status import EXIT_FATAL, EXIT_OK

__all__ = ["add_parser", "run", "shipped_recipe"]

log = logging.getLogger(__name__)


def shipped_recipe():
    """The recipe recorded in the shipped model's metadata."""
    from calcdetect.learning.train import TrainingRecipe

    meta = json.loads(resources.files("calcdetect").joinpath("data/fp_model.json").read_text("utf-8"))
    recipe = dict(meta["training"]["recipe"])
    recipe["set_seeds"] = tuple(recipe["set_seeds"])
    recipe["resample_mm"] = tuple(recipe["resample_mm"])
    return TrainingRecipe(**recipe)


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("train", help="rebuild the false-positive model from phantom seeds",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("out", type=Path, help="output base name: writes OUT.txt and OUT.json")
    parser.add_argument("--seed", type=int, action="append", help="training set seed (repeat for more sets)")
    parser.add_argument("--n", type=int, help="images per set")
    parser.add_argument("--preset", help="phantom preset or mix")
    parser.add_argument("--resample-mm", type=resolutions_argument, help="resolutions, e.g. 'native,0.2'")
    parser.add_argument("--phantoms", type=Path, help="folder to keep the generated phantoms in (a cache)")
    parser.add_argument("--workers", type=int, default=1, help="processes (same model whatever the number)")
    parser.add_argument("--no-validate", action="store_true", help="skip the leave-one-preset-out validation")
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    import tempfile

    from calcdetect.learning.dataset import candidate_table
    from calcdetect.learning.train import train_model
    from calcdetect.phantom import write_phantom_set

    try:
        recipe = shipped_recipe()
        changes = {k: v for k, v in {"set_seeds": tuple(args.seed) if args.seed else None, "n_per_seed": args.n,
                                     "preset": args.preset,
                                     "resample_mm": tuple(args.resample_mm) if args.resample_mm else None}.items()
                   if v is not None}
        recipe = dataclasses.replace(recipe, **changes)
        with tempfile.TemporaryDirectory(prefix="calcdetect-train-") as tmp:
            root = args.phantoms or Path(tmp)
            paths = []
            for seed in recipe.set_seeds:
                paths += write_phantom_set(root / f"set-{seed}", n=recipe.n_per_seed, seed=seed, preset=recipe.preset,
                                           positive_fraction=recipe.positive_fraction, workers=args.workers,
                                           reuse_existing=True)
            table = candidate_table(paths, resample_mm=recipe.resample_mm, workers=args.workers)
        meta = train_model(table, recipe, args.out, accept_probability=DetectorConfig.default().accept_probability,
                           validate=not args.no_validate)
    except (ValueError, OSError) as exc:
        print(f"calcdetect train: {exc}")
        return EXIT_FATAL
    ins = meta["training"]["in_sample"]
    print(f"wrote {args.out}.txt and .json: {meta['training']['images']} images, {ins['candidates']} candidates "
          f"({ins['calcifications']} calcifications); in-sample candidate AUC {ins['auc']}")
    for preset, v in meta["validation"].get("leave_one_preset_out", {}).items():
        print(f"  without {preset}: AUC {v['auc']}, calcifications kept {v['calcifications_kept']}, "
              f"false candidates kept per image {v['false_per_image']}")
    return EXIT_OK
