"""Rule v15, variant BP: fp_model on the 17 shipped columns and the three relative ones, with rule v13's two
processed sets; cluster_model with the same sets. usage: train_bp.py SCREEN_DIR  (the screen's train_table.pkl
and pt_new.pkl; writes bp_fp.{txt,json}, bp_clusters.pkl, bp_cluster.{txt,json} here)"""
import dataclasses, hashlib, sys, time
from pathlib import Path
import pandas as pd
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.detector.cluster_model import member_models
from calcdetect.learning.clusters import cluster_table, train_cluster_model
from calcdetect.learning.dataset import CandidateTable
from calcdetect.learning.train import train_model

ROOT = Path('/work/scratch/train/ph')
SCREEN = Path(sys.argv[1])
REL = ('tophat_rel', 'mid_ratio_rel', 'vessel_ridge_rel')


def extend(recipe):
    """Rule v13's two processed sets added to a recipe."""
    presets = recipe.set_presets or (recipe.preset,) * len(recipe.set_seeds)
    return dataclasses.replace(recipe, set_seeds=recipe.set_seeds + (31021, 31022), set_presets=presets + ('mix', 'mix'),
                               set_processing=('none',) * len(recipe.set_seeds) + ('multiscale', 'usm'))


t0 = time.time()
fp = extend(shipped_recipe('fp_model'))
fp = dataclasses.replace(fp, feature_names=fp.feature_names + REL)
frame = pd.concat([pd.read_pickle(SCREEN / 'train_table.pkl'), pd.read_pickle(SCREEN / 'pt_new.pkl')], ignore_index=True)
meta = train_model(CandidateTable(frame), fp, 'bp_fp', accept_probability=DetectorConfig.default().accept_probability,
                   name='fp_model', validate=False)
print('fp', hashlib.md5(open('bp_fp.txt', 'rb').read()).hexdigest(), meta['training']['in_sample'],
      round(time.time() - t0), 's', flush=True)
cl = extend(shipped_recipe('cluster_model'))
cl = dataclasses.replace(cl, detector_settings={**cl.detector_settings, 'fp_model': str(Path('bp_fp').resolve())})
config = cl.detector_config()
paths = _phantom_paths(cl, ROOT, 2)
table = cluster_table(paths, config=config, resample_mm=cl.resample_mm, workers=2)
table.to_pickle('bp_clusters.pkl')
print('clusters', table.shape, round(time.time() - t0), 's', flush=True)
meta = train_cluster_model(table, cl, 'bp_cluster', validate=False, members_scored_by=member_models(config))
print('cluster', meta['training']['in_sample'], round(time.time() - t0), 's', flush=True)
