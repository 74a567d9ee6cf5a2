"""The new code's four-seed model from the cached coarse table equals the four boosters measured (c2, c2_s1..s3)."""
import dataclasses, hashlib
import pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe
from calcdetect.detector.fp_model import split_boosters
from calcdetect.learning.dataset import CandidateTable
from calcdetect.learning.train import train_model
recipe = dataclasses.replace(shipped_recipe('fp_model_coarse'), booster_seeds=(20261130, 1, 2, 3))
table = CandidateTable(pd.read_pickle('coarse_table.pkl'))
meta = train_model(table, recipe, 'e4_new', accept_probability=DetectorConfig.default().accept_probability,
                   name='fp_model_coarse', validate=False)
parts = split_boosters(open('e4_new.txt').read())
for part, ref in zip(parts, ['c2', 'c2_s1', 'c2_s2', 'c2_s3']):
    print(ref, 'identical' if part == open(ref + '.txt').read() else 'DIFFERENT')
print(len(parts), 'boosters', meta['training']['in_sample'], meta['training']['recipe'].get('booster_seeds'))
