"""The shipped fp_model recipe's training phantoms and candidate table, made under whatever NPY_DISABLE_CPU_FEATURES says,
in ROOT; prints the table's rows (shipped model's record: 1,114,543) and the md5 of the model fitted from it."""
import hashlib, sys, tempfile
from pathlib import Path
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.config import DetectorConfig
from calcdetect.learning.dataset import candidate_table
from calcdetect.learning.train import train_model
recipe = shipped_recipe('fp_model')
if sys.argv[1].endswith('.pkl'):  # a table made before
    import pandas as pd
    from calcdetect.learning.dataset import CandidateTable
    table = CandidateTable(pd.read_pickle(sys.argv[1]))
else:
    paths = _phantom_paths(recipe, Path(sys.argv[1]), 2)
    table = candidate_table(paths, config=recipe.detector_config(), resample_mm=recipe.resample_mm, workers=2,
                            film_dust_negatives=recipe.film_dust_negatives)
print('rows', len(table.frame), flush=True)
with tempfile.TemporaryDirectory() as tmp:
    meta = train_model(table, recipe, Path(tmp) / 'm', accept_probability=DetectorConfig.default().accept_probability,
                       validate=False)
    print('md5', hashlib.md5((Path(tmp) / 'm.txt').read_bytes()).hexdigest(), meta['training']['in_sample'])
