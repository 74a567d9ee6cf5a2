"""fp_model with the line_snr feature at every candidate, the line source itself practically off (line_source_snr 100):
the shipped recipe plus 'line_snr', found with that setting (rule v9, variant L100)."""
import dataclasses, logging, sys
from pathlib import Path
logging.basicConfig(level=logging.INFO)
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table
from calcdetect.learning.train import train_model, settings_of

out = sys.argv[1]
recipe = shipped_recipe('fp_model')
recipe = dataclasses.replace(recipe, feature_names=(*recipe.feature_names, 'line_snr'),
                             detector_settings=settings_of(DetectorConfig.default().replace(line_source_snr=100.0)))
cfg = recipe.detector_config()
print('settings', recipe.detector_settings, 'line_source_snr', cfg.line_source_snr, flush=True)
paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), 2)
table = candidate_table(paths, config=cfg, resample_mm=recipe.resample_mm, workers=2)
table.frame.to_pickle(out + '_table.pkl')
print('table', table.frame.shape, flush=True)
meta = train_model(table, recipe, out, accept_probability=DetectorConfig.default().accept_probability, name='fp_model')
print(meta['training']['in_sample'], meta['validation'], flush=True)
