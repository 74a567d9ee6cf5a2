"""The shipped fp_model recipe's candidate table (every column, the three relative ones included) -> train_table.pkl."""
from pathlib import Path
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table
recipe = shipped_recipe('fp_model')
paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), 2)
table = candidate_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=2,
                        film_dust_negatives=recipe.film_dust_negatives)
table.frame.to_pickle('train_table.pkl')
print(table.frame.shape)
