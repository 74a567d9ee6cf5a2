"""Train fp_model or fp_model_coarse with the digitised_film feature and dust negatives on film.
usage: train_film.py OUT_BASE fp_model|fp_model_coarse WORKERS"""
import sys, dataclasses, logging
from pathlib import Path
logging.basicConfig(level=logging.INFO)
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table
from calcdetect.learning.train import train_model

out, name, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
recipe = shipped_recipe(name)
recipe = dataclasses.replace(recipe, feature_names=(*recipe.feature_names, 'digitised_film'), film_dust_negatives=True)
paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), workers)
print(len(paths), 'phantoms', flush=True)
table = candidate_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=workers,
                        film_dust_negatives=True)
table.frame.to_pickle(out + '_table.pkl')
print('table', table.frame.shape, 'film rows', int(table.frame.digitised_film.sum()), flush=True)
meta = train_model(table, recipe, out, accept_probability=DetectorConfig.default().accept_probability, name=name)
print(meta['training']['in_sample'], meta['validation'])
