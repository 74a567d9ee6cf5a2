"""``calcdetect train OUT [--coarse | --clusters] [--seed S ...]``: rebuild a model from phantoms.

Without options it uses the recipe recorded in the shipped model
(``calcdetect/data/fp_model.json``, ``fp_model_coarse.json`` with
``--coarse``, ``cluster_model.json`` with ``--clusters``: phantom set seeds,
number of images, preset, resolutions, features, spot filter, detector
settings, tree parameters), so the shipped model is rebuilt bit for bit (same
library versions and, for the cluster model, the same false-positive models).
``--config FILE`` finds the training candidates (or clusters) with other
detector settings, e.g. the thin-line source on; the recipe records them.
Writes ``OUT.txt`` (the LightGBM model) and ``OUT.json`` (its metadata, with
leave-one-preset-out validation); use it with ``"fp_model": "OUT"``
(``"fp_model_coarse"`` for a coarse one, ``"cluster_model"`` for a cluster
one) in a ``--config`` file, or copy both files to ``src/calcdetect/data/``
under the shipped name to ship it.
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

__all__ = ["add_parser", "run", "set_folder", "shipped_recipe"]

log = logging.getLogger(__name__)


#: the shipped models' resource names (as :mod:`calcdetect.detector.fp_model`, not imported here to keep
#: the command line quick to start)
SHIPPED_MODEL, SHIPPED_COARSE_MODEL, SHIPPED_CLUSTER_MODEL = "fp_model", "fp_model_coarse", "cluster_model"


def shipped_recipe(name: str = SHIPPED_MODEL):
    """The recipe recorded in the metadata of the shipped model ``name``."""
    from calcdetect.learning.clusters import ClusterRecipe
    from calcdetect.learning.train import TrainingRecipe

    meta = json.loads(resources.files("calcdetect").joinpath(f"data/{name}.json").read_text("utf-8"))
    kind = ClusterRecipe if name == SHIPPED_CLUSTER_MODEL else TrainingRecipe
    return kind.from_dict(meta["training"]["recipe"])


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser("train", help="rebuild a false-positive or the cluster model from phantom seeds",
                                   description=__doc__.split("\n\n")[1])
    parser.add_argument("out", type=Path, help="output base name: writes OUT.txt and OUT.json")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--coarse", action="store_true",
                      help=f"start from the recipe of the coarse-pixel model ({SHIPPED_COARSE_MODEL})")
    kind.add_argument("--clusters", action="store_true",
                      help=f"train the cluster model ({SHIPPED_CLUSTER_MODEL}) on the clusters the detector finds")
    parser.add_argument("--seed", type=_set_argument, action="append", metavar="SEED[:PRESET[:PROCESSING]]",
                        help="training set seed, optionally with its own preset and a vendor-like processing of "
                             "its FOR PRESENTATION images, e.g. 31010:film-mix or 31021:mix:multiscale "
                             "(repeat for more sets)")
    parser.add_argument("--n", type=int, help="images per set")
    parser.add_argument("--preset", help="phantom preset or mix of the sets given without one")
    parser.add_argument("--resample-mm", type=resolutions_argument, help="resolutions, e.g. 'native,0.2'")
    parser.add_argument("--phantoms", type=Path, help="folder to keep the generated phantoms in (a cache)")
    parser.add_argument("--fine-texture", action="store_true",
                        help="make every training set with the breast texture continued above the anatomy "
                             "grid (calcdetect.phantom.fine_texture; recorded in the recipe)")
    parser.add_argument("--features", type=_features_argument, metavar="NAME,NAME,...",
                        help="the candidate features the model reads ('all': every one this version computes)")
    parser.add_argument("--booster-seeds", type=_seeds_argument, metavar="SEED,SEED,...",
                        help="fit one booster per LightGBM seed and score with their mean probability "
                             "(false-positive models; the recipe records the seeds)")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="detector configuration (JSON or TOML) to find the training candidates or clusters "
                             "with, e.g. {\"line_source_snr\": 5}; the keys that differ from the shipped "
                             "configuration are recorded in the recipe")
    parser.add_argument("--workers", type=int, default=1, help="processes (same model whatever the number)")
    parser.add_argument("--no-validate", action="store_true", help="skip the leave-one-preset-out validation")
    parser.set_defaults(run=run)
    return parser


def _set_argument(text: str) -> tuple[int, str | None, str]:
    """(seed, preset or None, presentation processing) of ``SEED[:PRESET[:PROCESSING]]``."""
    from calcdetect.phantom.presentation import check_processing

    seed, _, rest = text.partition(":")
    preset, _, processing = rest.partition(":")
    try:
        number = int(seed)
        check_processing(processing or "none")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not SEED, SEED:PRESET or SEED:PRESET:PROCESSING "
                                         f"(e.g. 31010, 31010:film-mix or 31021:mix:multiscale): {exc}")
    return number, preset or None, processing or "none"


def _seeds_argument(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        seeds = ()
    if not seeds:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integer seeds "
                                         "(e.g. 20261130,1,2,3)")
    return seeds


def _features_argument(text: str) -> tuple[str, ...]:
    from calcdetect.detector.features import FEATURE_NAMES

    if text.strip() == "all":
        return tuple(FEATURE_NAMES)
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FEATURE_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown feature(s) {unknown or [text]}; this version computes "
                                         f"{', '.join(FEATURE_NAMES)}")
    return names


def _model_name(args: argparse.Namespace) -> str:
    if getattr(args, "clusters", False):
        return SHIPPED_CLUSTER_MODEL
    return SHIPPED_COARSE_MODEL if args.coarse else SHIPPED_MODEL


def _recipe_from(args: argparse.Namespace):
    """The shipped recipe with what the command line changes."""
    recipe = shipped_recipe(_model_name(args))
    if getattr(args, "features", None) and getattr(args, "clusters", False):
        raise ValueError("--features names candidate features; the cluster model reads its own")
    if getattr(args, "booster_seeds", None) and getattr(args, "clusters", False):
        raise ValueError("--booster-seeds is for the false-positive models; the cluster model is one booster")
    changes = {k: v for k, v in {"n_per_seed": args.n, "preset": args.preset,
                                 "resample_mm": tuple(args.resample_mm) if args.resample_mm else None,
                                 "feature_names": getattr(args, "features", None),
                                 "booster_seeds": getattr(args, "booster_seeds", None),
                                 "fine_texture": True if getattr(args, "fine_texture", False) else None}.items()
               if v is not None}
    if getattr(args, "config", None):
        from calcdetect.learning.train import settings_of

        changes["detector_settings"] = settings_of(DetectorConfig.from_file(str(args.config)))
    if args.seed:
        default = args.preset or recipe.preset
        changes["set_seeds"] = tuple(seed for seed, _, _ in args.seed)
        presets = tuple(preset or default for _, preset, _ in args.seed)
        changes["set_presets"] = () if set(presets) == {default} else presets
        processings = tuple(processing for _, _, processing in args.seed)
        changes["set_processing"] = () if set(processings) == {"none"} else processings
    elif args.preset and recipe.set_presets:
        raise ValueError("--preset without --seed would change the preset of sets that have their own; "
                         "give the sets with --seed SEED[:PRESET]")
    return dataclasses.replace(recipe, **changes)


def _phantom_paths(recipe, root: Path, workers: int) -> list[Path]:
    from calcdetect.phantom import write_phantom_set

    paths: list[Path] = []
    for (seed, preset), processing in zip(recipe.sets, recipe.processings):
        paths += write_phantom_set(root / set_folder(seed, processing, fine_texture=recipe.fine_texture),
                                   n=recipe.n_per_seed, seed=seed, preset=preset,
                                   positive_fraction=recipe.positive_fraction, workers=workers, reuse_existing=True,
                                   presentation_processing=processing, fine_texture=recipe.fine_texture)
    return paths


def set_folder(seed: int, processing: str = "none", *, fine_texture: bool = False) -> str:
    """The cache folder of a training set: ``set-SEED``, ``set-SEED-PROCESSING`` for a processed one,
    ``...-fine-texture`` with the fine texture (sets of one seed made differently are different images)."""
    name = f"set-{seed}" if processing == "none" else f"set-{seed}-{processing}"
    return f"{name}-fine-texture" if fine_texture else name


def run(args: argparse.Namespace) -> int:
    import tempfile

    try:
        recipe = _recipe_from(args)
        with tempfile.TemporaryDirectory(prefix="calcdetect-train-") as tmp:
            paths = _phantom_paths(recipe, args.phantoms or Path(tmp), args.workers)
            if getattr(args, "clusters", False):
                return _train_clusters(args, recipe, paths)
            from calcdetect.learning.dataset import candidate_table
            from calcdetect.learning.train import train_model

            table = candidate_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm,
                                    workers=args.workers, film_dust_negatives=recipe.film_dust_negatives)
        meta = train_model(table, recipe, args.out, accept_probability=DetectorConfig.default().accept_probability,
                           name=_model_name(args), validate=not args.no_validate)
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


def _train_clusters(args: argparse.Namespace, recipe, paths: list[Path]) -> int:
    from calcdetect.detector.cluster_model import member_models
    from calcdetect.learning.clusters import cluster_table, train_cluster_model

    config = recipe.detector_config()
    table = cluster_table(paths, config=config, resample_mm=recipe.resample_mm, workers=args.workers)
    meta = train_cluster_model(table, recipe, args.out, validate=not args.no_validate,
                               members_scored_by=member_models(config))
    ins = meta["training"]["in_sample"]
    print(f"wrote {args.out}.txt and .json: {ins['clusters']} clusters ({ins['true_clusters']} true) on "
          f"{meta['training']['images_with_clusters']} images; in-sample cluster AUC {ins['auc']}")
    for preset, v in meta["validation"].get("leave_one_preset_out", {}).items():
        print(f"  without {preset}: cluster AUC {v['auc']} ({v['clusters']} clusters, {v['true_clusters']} true)")
    return EXIT_OK
