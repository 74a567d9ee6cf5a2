"""Cluster training table from phantom sets the false-positive models never saw (seeds 31012-31020)."""
import sys, time, dataclasses
from pathlib import Path
from calcdetect.learning.clusters import ClusterRecipe, cluster_table
from calcdetect.phantom import write_phantom_set
recipe = dataclasses.replace(ClusterRecipe(), set_seeds=tuple(range(31012, 31021)), set_presets=("mix",) * 7 + ("film-mix",) * 2)
paths = []
t = time.time()
for seed, preset in recipe.sets:
    paths += write_phantom_set(Path('/work/scratch/train/ph') / f'set-{seed}', n=recipe.n_per_seed, seed=seed, preset=preset,
                               positive_fraction=recipe.positive_fraction, workers=2, reuse_existing=True)
print('phantoms', f'{time.time()-t:.0f} s', flush=True)
t = time.time()
frame = cluster_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=2)
frame.to_csv(sys.argv[1], index=False)
print(len(paths), 'phantoms', len(frame), 'clusters', int(frame.label.sum()), 'true', f'{time.time()-t:.0f} s')
