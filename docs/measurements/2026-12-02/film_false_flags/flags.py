"""Film normals flagged at the flag, by preset, and the distractor under each false cluster at the flag
(the shipped detector's scans of the development film set and of four used fresh film sets)."""
import pandas as pd
SETS = ['s20/dev/film', 's21/fresh/base_film_98000025', 's21/fresh/base_film_98000026',
        's21/v11/base_film_98000027', 's21/v11/base_film_98000028']
ims, cms = [], []
for d in SETS:
    im = pd.read_csv(f'/work/scratch/{d}/evaluation/images.csv'); cm = pd.read_csv(f'/work/scratch/{d}/evaluation/cluster_matches.csv')
    ims.append(im); cms.append(cm.merge(im[['sop_instance_uid', 'threshold', 'has_cluster', 'preset']], on='sop_instance_uid'))
im, cm = pd.concat(ims), pd.concat(cms)
neg = im[~im.has_cluster]
print('normals flagged by preset:'); print(neg.groupby('preset').flag.agg(['size', 'sum']).rename(columns={'size': 'normals', 'sum': 'flagged'}).to_string())
f = cm[(cm.status == 'fp') & (cm.score >= cm.threshold) & (~cm.has_cluster)]
print(f'\nfalse clusters at the flag on normals: {len(f)}; distractor under the cluster (evaluation.matching):')
print(f.groupby('preset').distractor_kind.value_counts(dropna=False).to_string())
