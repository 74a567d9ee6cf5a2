"""Which normals the shipped detector flags on the tenth pair's full-size sets, and what their false clusters above
the flag lie on (the evaluation's distractor labels). usage: flagged_normals10.py  (reads /work/scratch/s27/fresh)"""
import pandas as pd

THR = 0.222871  # the shipped image_threshold (pixels finer than 0.15 mm)
for s in (96001162, 96001163):
    e = f'/work/scratch/s27/fresh/base_dig_{s}/evaluation/'
    im = pd.read_csv(e + 'images.csv'); cm = pd.read_csv(e + 'cluster_matches.csv')
    neg = im[~im.has_cluster.astype(bool)]
    flagged = neg[neg.score >= THR]
    print(s, len(neg), 'normals', neg.preset.value_counts().to_dict(), len(flagged), 'flagged:', flagged.preset.value_counts().to_dict())
    fp = cm[(cm.status == 'fp') & cm.sop_instance_uid.isin(flagged.sop_instance_uid) & (cm.score >= THR)]
    print('  false clusters above the flag by label:', fp.distractor_kind.fillna('none (tissue)').value_counts().to_dict())
