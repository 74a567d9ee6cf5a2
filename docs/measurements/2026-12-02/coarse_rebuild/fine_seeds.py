"""Variance study, full-size model (no adoption): the shipped fp_model recipe's candidate table at HEAD,
the recipe fitted with LightGBM seeds 1 and 2. usage: fine_seeds.py"""
import dataclasses, hashlib, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.learning.dataset import candidate_table, CandidateTable
from calcdetect.learning.train import train_model


def fit(seed):
    recipe = shipped_recipe('fp_model')
    if seed is not None:
        recipe = dataclasses.replace(recipe, params={**recipe.params, 'seed': seed})
    table = CandidateTable(pd.read_pickle('fine_table.pkl'))
    name = f'fine_s{seed}' if seed is not None else 'fine_head'
    meta = train_model(table, recipe, name, accept_probability=DetectorConfig.default().accept_probability,
                       name='fp_model', validate=False)
    return name, hashlib.md5(open(name + '.txt', 'rb').read()).hexdigest(), meta['training']['in_sample']


if __name__ == '__main__':
    t0 = time.time()
    recipe = shipped_recipe('fp_model')
    paths = _phantom_paths(recipe, Path('/work/scratch/train/ph'), 2)
    table = candidate_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=2)
    table.frame.to_pickle('fine_table.pkl')
    print('table', table.frame.shape, round(time.time() - t0), 's', flush=True)
    with ProcessPoolExecutor(2) as ex:
        for name, md5, ins in ex.map(fit, [None, 1, 2]):
            print(name, md5, ins, flush=True)
    print('shipped fp_model.txt', hashlib.md5(open('/work/main/src/calcdetect/data/fp_model.txt', 'rb').read()).hexdigest())
