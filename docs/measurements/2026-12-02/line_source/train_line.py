"""Train fp_model with the line source on (threshold T): the shipped recipe plus the line_snr feature.
usage: train_line.py OUT_BASE T"""
import sys, dataclasses, logging
from pathlib import Path
logging.basicConfig(level=logging.INFO)
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table
from calcdetect.learning.train import train_model

out, t = sys.argv[1], float(sys.argv[2])
recipe = shipped_recipe('fp_model')
recipe = dataclasses.replace(recipe, feature_names=(*recipe.feature_names, 'line_snr'))
cfg = recipe.detector_config(dataclasses.replace(DetectorConfig.default(), line_source_snr=t))
paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), 2)
print(len(paths), 'phantoms', flush=True)
table = candidate_table(paths, config=cfg, resample_mm=recipe.resample_mm, workers=2)
table.frame.to_pickle(out + '_table.pkl')
print('table', table.frame.shape, flush=True)
meta = train_model(table, recipe, out, accept_probability=DetectorConfig.default().accept_probability, name='fp_model')
print(meta['training']['in_sample'], meta['validation'])
