"""fp_model_coarse rebuilt at HEAD (rule v10): one candidate table with the shipped coarse recipe's
detector settings, then two models from it: C2 (the shipped recipe unchanged) and C2F (the shipped
recipe plus spot_image_snr, spot_block_snr and digitised_film). No leave-one-preset-out here."""
import dataclasses, logging, sys, time
from pathlib import Path
logging.basicConfig(level=logging.INFO)
import pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table, CandidateTable
from calcdetect.learning.train import train_model

out = Path(sys.argv[1])
recipe = shipped_recipe('fp_model_coarse')
cfg = recipe.detector_config()
t0 = time.time()
paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), 2)
table = candidate_table(paths, config=cfg, resample_mm=recipe.resample_mm, workers=2)
table.frame.to_pickle(out / 'coarse_table.pkl')
print('table', table.frame.shape, round(time.time() - t0), 's', flush=True)
accept = DetectorConfig.default().accept_probability
meta = train_model(table, recipe, out / 'c2', accept_probability=accept, name='fp_model_coarse', validate=False)
print('C2', meta['training']['in_sample'], round(time.time() - t0), 's', flush=True)
rf = dataclasses.replace(recipe, feature_names=(*recipe.feature_names, 'spot_image_snr', 'spot_block_snr', 'digitised_film'))
meta = train_model(table, rf, out / 'c2f', accept_probability=accept, name='fp_model_coarse', validate=False)
print('C2F', meta['training']['in_sample'], round(time.time() - t0), 's', flush=True)
