"""Rule v13's two processed training sets (31021 multiscale, 31022 usm; 80 mix each) and their candidate table -> pt_new.pkl."""
import dataclasses
from pathlib import Path
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table
r = shipped_recipe('fp_model')
r = dataclasses.replace(r, set_seeds=(31021, 31022), set_presets=('mix', 'mix'), set_processing=('multiscale', 'usm'))
paths = _phantom_paths(r, Path('/work/scratch/train/ph'), 2)
table = candidate_table(paths, config=r.detector_config(), resample_mm=r.resample_mm, workers=2)
table.frame.to_pickle('pt_new.pkl')
print(table.frame.shape)
