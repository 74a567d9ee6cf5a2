"""Is what the fine texture costs learnable? A candidate-level screen (no threshold, no cluster).

Three digital training sets of the shipped fp_model recipe (seeds 31003-31005, 80 `mix` each, at their
own pixels) are made both ways, plain (the shipped generator) and with the fine texture
(hf_texture.py); the shipped recipe's model is fitted in memory on each table and on both together,
and scores the candidates of the fresh set 96001172 made both ways (the sweep's plain set and the
experiment's). Per set and preset: candidate AUC, calcifications kept and false candidates kept per
image at the shipped accept_probability.

usage: screen_hf.py WORK_DIR PLAIN_DEV_PHANTOMS HF_DEV_PHANTOMS"""
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import hf_texture  # noqa: E402
from calcdetect.commands.train import shipped_recipe  # noqa: E402
from calcdetect.config import DetectorConfig  # noqa: E402
from calcdetect.detector.fp_model import mean_probability  # noqa: E402
from calcdetect.evaluation.froc import roc_auc  # noqa: E402
from calcdetect.learning.dataset import CandidateTable, candidate_table  # noqa: E402
from calcdetect.learning.train import fit_boosters  # noqa: E402
from calcdetect.phantom.sets import write_phantom_set  # noqa: E402

SEEDS = (31003, 31004, 31005)


def table(name, paths, cfg, work):
    cache = work / f"{name}.pkl"
    if not cache.exists():
        candidate_table(paths, config=cfg, workers=2).frame.to_pickle(cache)
    return pd.read_pickle(cache)


def main():
    work, plain_dev, hf_dev = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    recipe = shipped_recipe("fp_model")
    cfg = recipe.detector_config()
    plain_paths = [p for s in SEEDS for p in write_phantom_set(work / f"plain-{s}", n=80, seed=s, preset="mix",
                                                               positive_fraction=0.75, workers=2, reuse_existing=True)]
    train_plain = table("train_plain", plain_paths, cfg, work)
    hf_texture.install()
    hf_paths = [p for s in SEEDS for p in write_phantom_set(work / f"hf-{s}", n=80, seed=s, preset="mix",
                                                            positive_fraction=0.75, workers=2)]
    train_hf = table("train_hf", hf_paths, cfg, work)
    dev = {"dev plain": table("dev_plain", sorted(plain_dev.glob("*.dcm")), cfg, work),
           "dev fine texture": table("dev_hf", sorted(hf_dev.glob("*.dcm")), cfg, work)}
    accept = DetectorConfig.default().accept_probability
    fits = {"trained plain": [train_plain], "trained fine texture": [train_hf], "trained both": [train_plain, train_hf]}
    rows = []
    for fit_name, frames in fits.items():
        boosters = fit_boosters(CandidateTable(pd.concat(frames, ignore_index=True)), recipe)
        for name, frame in dev.items():
            p = mean_probability(boosters, frame[list(recipe.feature_names)].to_numpy(np.float64))
            for preset, idx in [*frame.groupby("preset").groups.items(), ("all", frame.index)]:
                at = frame.index.get_indexer(idx)
                y = frame.label.to_numpy()[at] == 1
                q = p[at]
                rows.append({"model": fit_name, "set": name, "preset": preset, "calcs": int(y.sum()),
                             "auc": roc_auc(q, y.astype(int)), "calcs_kept": float((q[y] >= accept).mean()),
                             "false_kept_per_image": float((q[~y] >= accept).sum()) / frame.loc[idx, "image"].nunique()})
    out = pd.DataFrame(rows)
    pd.set_option("display.width", 220)
    print(f"# training candidates: plain {len(train_plain)}, fine texture {len(train_hf)}; accept_probability {accept}")
    for name in dev:
        print(f"\n== {name} ({len(dev[name])} candidates)")
        print(out[out.set == name].pivot_table(index="preset", columns="model", values=["auc", "calcs_kept", "false_kept_per_image"],
                                               sort=False).round(3).to_string())
    out.to_csv(work / "screen_hf.csv", index=False)


if __name__ == "__main__":
    main()
