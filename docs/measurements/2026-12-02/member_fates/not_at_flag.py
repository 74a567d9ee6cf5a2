"""The visible clusters of the fresh digital pair not found at the flag, with what became of their members (fate.py's
fate_dig.csv; SCANS: the two scan folders with evaluation/): not_at_flag.txt.  lin_lost_6: linear members at d' >= 6 with
no candidate or under accept_probability."""
import sys
import pandas as pd
pd.set_option('display.width', 220)
f = pd.read_csv('fate_dig.csv'); f = f[f.visibility == 'visible']
rows = []
for scan in sys.argv[1:]:
    s = scan.rstrip('/').split('/')[-1]
    tc = pd.read_csv(f'{scan}/evaluation/truth_clusters.csv'); im = pd.read_csv(f'{scan}/scan/images.csv')
    tc = tc[tc.visibility == 'visible'].merge(im[['sop_instance_uid', 'path']], on='sop_instance_uid')
    for r in tc.itertuples():
        image = r.path.split('/')[-1]
        g = f[(f.set == s) & (f.image == image)]
        c = g.fate.value_counts().to_dict()
        rows.append(dict(set=s, image=image, morphology=r.morphology, n=r.n_calcifications, found=r.matched,
                         at_flag=r.detected_at_operating_point, score=round(r.matched_score, 3) if r.matched else None,
                         in_cluster=c.get('accepted_in_cluster', 0), alone=c.get('accepted_alone', 0), low_p=c.get('low_p', 0),
                         no_candidate=c.get('no_candidate', 0),
                         lin_lost_6=int(((g['shape'] == 'linear') & g.fate.isin(['no_candidate', 'low_p']) & (g.d_prime >= 6)).sum())))
d = pd.DataFrame(rows)
miss = d[~d.at_flag.astype(bool)]
print(miss.to_string(index=False))
never = miss[~miss.found.astype(bool)]
print(f"\nnever found: {len(never)}; with accepted-alone + lost linear members at d' >= 6 reaching three: "
      f"{int(((never.alone + never.lin_lost_6) >= 3).sum())} (grouping distances not checked)")
