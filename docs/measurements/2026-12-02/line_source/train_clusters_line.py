"""Cluster model on the clusters of the detector with the line source on and the line fp_model.
usage: train_clusters_line.py OUT_BASE FP_MODEL_BASE T"""
import sys, dataclasses, logging
from pathlib import Path
logging.basicConfig(level=logging.INFO)
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.clusters import cluster_table, train_cluster_model

out, fp, t = sys.argv[1], sys.argv[2], float(sys.argv[3])
recipe = shipped_recipe('cluster_model')
base = dataclasses.replace(DetectorConfig.default(), line_source_snr=t, fp_model=fp)
cfg = recipe.detector_config(base)
print(cfg.fp_model, cfg.line_source_snr, cfg.cluster_model, flush=True)
paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), 2)
table = cluster_table(paths, config=cfg, resample_mm=recipe.resample_mm, workers=2)
table.to_pickle(out + '_table.pkl')
meta = train_cluster_model(table, recipe, out)
print(meta['training']['in_sample'], meta['validation'])
