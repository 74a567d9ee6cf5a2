"""Variance study (no adoption): C2's recipe fitted with other LightGBM seeds on the same candidate table."""
import dataclasses, sys
import pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe
from calcdetect.learning.dataset import CandidateTable
from calcdetect.learning.train import train_model
seed = int(sys.argv[1])
recipe = shipped_recipe('fp_model_coarse')
recipe = dataclasses.replace(recipe, params={**recipe.params, 'seed': seed})
table = CandidateTable(pd.read_pickle('coarse_table.pkl'))
meta = train_model(table, recipe, f'c2_s{seed}', accept_probability=DetectorConfig.default().accept_probability,
                   name='fp_model_coarse', validate=False)
print(seed, meta['training']['in_sample'], flush=True)
