"""Upper bound of a perfect dust test at the flag: the false clusters at the flag on film normals, and how many
would fall under three members if every member the evaluation puts on dust were removed (the cluster would then
not exist; its image might still be flagged by another cluster)."""
import pandas as pd
SETS = ['s20/dev/film', 's21/fresh/base_film_98000025', 's21/fresh/base_film_98000026',
        's21/v11/base_film_98000027', 's21/v11/base_film_98000028']
tot = {}
for d in SETS:
    e = f'/work/scratch/{d}/'
    im = pd.read_csv(e + 'evaluation/images.csv'); cm = pd.read_csv(e + 'evaluation/cluster_matches.csv')
    cal = pd.read_csv(e + 'scan/calcifications.csv'); m = pd.read_csv(e + 'evaluation/calcification_matches.csv')
    cal = cal.merge(m[['sop_instance_uid', 'row', 'col', 'distractor_kind']], on=['sop_instance_uid', 'row', 'col'], how='left')
    cm = cm.merge(im[['sop_instance_uid', 'threshold', 'has_cluster', 'preset', 'flag']], on='sop_instance_uid')
    neg = im[~im.has_cluster]
    f = cm[(cm.status == 'fp') & (cm.score >= cm.threshold) & (~cm.has_cluster)]
    for uid, g in f.groupby('sop_instance_uid'):
        preset = g.preset.iloc[0]
        survives = False
        for _, k in g.iterrows():
            mem = cal[(cal.sop_instance_uid == uid) & (cal.cluster_id == k.cluster_id)]
            if (mem.distractor_kind != 'dust').sum() >= 3:
                survives = True
        t = tot.setdefault(preset, [0, 0]); t[0] += 1; t[1] += (not survives)
print('flagged normals: total, and how many have every false cluster at the flag fall under three members without dust')
for p, (n, gone) in sorted(tot.items()):
    print(f'  {p:16s} {n:3d} flagged, {gone} would lose every such cluster')
