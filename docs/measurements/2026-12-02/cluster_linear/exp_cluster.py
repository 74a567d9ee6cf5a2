"""Cluster table once (all 15 features), then the base (13) and linear (15) cluster models from it."""
import dataclasses, json, sys, time
from pathlib import Path
import pandas as pd
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.detector.cluster_model import CLUSTER_FEATURE_NAMES
from calcdetect.learning.clusters import cluster_table, train_cluster_model, monotone_constraints

out = Path("/work/scratch/s20/cm"); out.mkdir(exist_ok=True)
recipe = shipped_recipe("cluster_model")
paths = _phantom_paths(recipe, Path("/work/scratch/train/ph"), 2)
tab = out / "table.pkl"
if tab.exists():
    table = pd.read_pickle(tab)
else:
    t = time.time()
    table = cluster_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=2)
    table.to_pickle(tab)
    print("table", table.shape, "%.0f s" % (time.time() - t), flush=True)
base = train_cluster_model(table, recipe, out / "cm_base")
same = (out / "cm_base.txt").read_bytes() == Path("/work/main/src/calcdetect/data/cluster_model.txt").read_bytes()
print("base rebuilt byte for byte:", same, flush=True)
lin_recipe = dataclasses.replace(recipe, feature_names=CLUSTER_FEATURE_NAMES,
                                 params={**recipe.params, "monotone_constraints": monotone_constraints(CLUSTER_FEATURE_NAMES)})
lin = train_cluster_model(table, lin_recipe, out / "cm_lin")
for name, meta in (("base", base), ("lin", lin)):
    print(name, meta["training"]["in_sample"], json.dumps({k: v["auc"] for k, v in meta["validation"]["leave_one_preset_out"].items()}))
print(json.dumps(lin["feature_importance_gain"]))
