"""Build the cluster training table from the cached training phantoms (the recipe's sets) and save it."""
import sys, glob, time
from pathlib import Path
from calcdetect.learning.clusters import ClusterRecipe, cluster_table
from calcdetect.phantom import write_phantom_set
recipe = ClusterRecipe()
n = int(sys.argv[2]) if len(sys.argv) > 2 else recipe.n_per_seed
paths = []
for seed, preset in recipe.sets:
    paths += write_phantom_set(Path('/work/scratch/train/ph') / f'set-{seed}', n=recipe.n_per_seed, seed=seed, preset=preset,
                               positive_fraction=recipe.positive_fraction, workers=2, reuse_existing=True)[:n]
t = time.time()
frame = cluster_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=int(sys.argv[3]) if len(sys.argv) > 3 else 2)
frame.to_csv(sys.argv[1], index=False)
print(len(paths), 'phantoms', len(frame), 'clusters', int(frame.label.sum()), 'true', f'{time.time()-t:.0f} s')
