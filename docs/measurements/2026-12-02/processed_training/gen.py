from pathlib import Path
from calcdetect.commands.train import _phantom_paths
from calcdetect.learning.train import TrainingRecipe
r = TrainingRecipe(set_seeds=(31021, 31022), preset="mix", n_per_seed=80, positive_fraction=0.75,
                   set_processing=("multiscale", "usm"))
paths = _phantom_paths(r, Path("/work/scratch/train/ph"), workers=2)
print(len(paths), paths[0], paths[-1])
