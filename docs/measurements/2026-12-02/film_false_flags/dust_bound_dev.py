"""Development film set: members of the false clusters at the flag on normals that lie on a dust speck's box
(within one pixel), whatever larger distractor box (a vessel's) they also lie in; and whether each cluster would
keep three members without them."""
import json
import pandas as pd
D = '/work/scratch/s20/dev/film/'
im = pd.read_csv(D + 'evaluation/images.csv'); cm = pd.read_csv(D + 'evaluation/cluster_matches.csv')
cal = pd.read_csv(D + 'scan/calcifications.csv'); man = pd.read_csv(D + 'phantoms/manifest.csv').set_index('sop_instance_uid')
cm = cm.merge(im[['sop_instance_uid', 'threshold', 'has_cluster', 'preset']], on='sop_instance_uid')
f = cm[(cm.status == 'fp') & (cm.score >= cm.threshold) & (~cm.has_cluster)]
for _, k in f.iterrows():
    truth = json.load(open(D + 'phantoms/' + man.loc[k.sop_instance_uid, 'file'].replace('.dcm', '.truth.json')))
    dust = [d['bbox'] for d in truth['distractors'] if d['kind'] == 'dust']
    mem = cal[(cal.sop_instance_uid == k.sop_instance_uid) & (cal.cluster_id == k.cluster_id)]
    on = [any(b[0] - 1 <= r <= b[2] + 1 and b[1] - 1 <= c <= b[3] + 1 for b in dust) for r, c in zip(mem.row, mem.col)]
    print(f"{man.loc[k.sop_instance_uid, 'file']} {k.preset:16s} members {len(mem)}, on dust {sum(on)}, "
          f"without them {len(mem) - sum(on)} (cluster {'gone' if len(mem) - sum(on) < 3 else 'kept'})")
