"""Rule v14, variant BR: fp_model with the three background-relative features, and cluster_model.
usage: train_br.py  (writes br_table.pkl, br_fp.{txt,json}, br_clusters.pkl, br_cluster.{txt,json})"""
import dataclasses, hashlib, time
from pathlib import Path
from calcdetect.config import DetectorConfig
from calcdetect.commands.train import shipped_recipe, _phantom_paths
from calcdetect.detector.cluster_model import member_models
from calcdetect.learning.clusters import cluster_table, train_cluster_model
from calcdetect.learning.dataset import candidate_table
from calcdetect.learning.train import train_model

ROOT = Path('/work/scratch/train/ph')
SWAP = {'tophat_snr': 'tophat_rel', 'mid_ratio': 'mid_ratio_rel', 'vessel_ridge': 'vessel_ridge_rel'}

t0 = time.time()
shipped = shipped_recipe('fp_model')
fp = dataclasses.replace(shipped, feature_names=tuple(SWAP.get(n, n) for n in shipped.feature_names))
print('features', fp.feature_names, flush=True)
paths = _phantom_paths(fp, ROOT, 2)
table = candidate_table(paths, config=fp.detector_config(), resample_mm=fp.resample_mm, workers=2)
table.frame.to_pickle('br_table.pkl')
print('table', table.frame.shape, round(time.time() - t0), 's', flush=True)
meta = train_model(table, fp, 'br_fp', accept_probability=DetectorConfig.default().accept_probability,
                   name='fp_model', validate=False)
print('fp', hashlib.md5(open('br_fp.txt', 'rb').read()).hexdigest(), meta['training']['in_sample'],
      round(time.time() - t0), 's', flush=True)
cl = shipped_recipe('cluster_model')
cl = dataclasses.replace(cl, detector_settings={**cl.detector_settings, 'fp_model': str(Path('br_fp').resolve())})
config = cl.detector_config()
clusters = cluster_table(paths, config=config, resample_mm=cl.resample_mm, workers=2)
clusters.to_pickle('br_clusters.pkl')
print('clusters', clusters.shape, round(time.time() - t0), 's', flush=True)
meta = train_cluster_model(clusters, cl, 'br_cluster', validate=False, members_scored_by=member_models(config))
print('cluster', meta['training']['in_sample'], round(time.time() - t0), 's', flush=True)
