"""The shipped fp_model recipe's training phantoms (cached in /work/scratch/train/ph, as calcdetect train --phantoms would)."""
from pathlib import Path
from calcdetect.commands.train import shipped_recipe, _phantom_paths
paths = _phantom_paths(shipped_recipe('fp_model'), Path('/work/scratch/train/ph'), 2)
print(len(paths), 'phantoms')
