"""Rule v13, variant PT: fp_model and cluster_model trained with two processed sets added.
usage: train_pt.py  (writes pt_fp.{txt,json}, pt_table_new.pkl, pt_clusters.pkl, pt_cluster.{txt,json})"""
import dataclasses, hashlib, time
from pathlib import Path
import pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.detector.cluster_model import member_models
from calcdetect.learning.clusters import cluster_table, train_cluster_model
from calcdetect.learning.dataset import candidate_table, CandidateTable
from calcdetect.learning.train import train_model

ROOT = Path('/work/scratch/train/ph')
NEW = dict(set_seeds=(31021, 31022), set_presets=('mix', 'mix'), set_processing=('multiscale', 'usm'))


def extend(recipe):
    presets = recipe.set_presets or (recipe.preset,) * len(recipe.set_seeds)
    return dataclasses.replace(recipe, set_seeds=recipe.set_seeds + NEW['set_seeds'],
                               set_presets=presets + NEW['set_presets'],
                               set_processing=('none',) * len(recipe.set_seeds) + NEW['set_processing'])


t0 = time.time()
fp = extend(shipped_recipe('fp_model'))
paths = _phantom_paths(fp, ROOT, 2)
old_n = 9 * 80
new = candidate_table(paths[old_n:], config=fp.detector_config(), resample_mm=fp.resample_mm, workers=2)
new.frame.to_pickle('pt_table_new.pkl')
frame = pd.concat([pd.read_pickle('/work/scratch/s21/fine_table.pkl'), new.frame], ignore_index=True)
print('table', frame.shape, 'new', new.frame.shape, round(time.time() - t0), 's', flush=True)
meta = train_model(CandidateTable(frame), fp, 'pt_fp', accept_probability=DetectorConfig.default().accept_probability,
                   name='fp_model', validate=False)
print('fp', hashlib.md5(open('pt_fp.txt', 'rb').read()).hexdigest(), meta['training']['in_sample'],
      round(time.time() - t0), 's', flush=True)
cl = extend(shipped_recipe('cluster_model'))
cl = dataclasses.replace(cl, detector_settings={**cl.detector_settings, 'fp_model': str(Path('pt_fp').resolve())})
config = cl.detector_config()
table = cluster_table(paths, config=config, resample_mm=cl.resample_mm, workers=2)
table.to_pickle('pt_clusters.pkl')
print('clusters', table.shape, round(time.time() - t0), 's', flush=True)
meta = train_cluster_model(table, cl, 'pt_cluster', validate=False, members_scored_by=member_models(config))
print('cluster', meta['training']['in_sample'], round(time.time() - t0), 's', flush=True)
