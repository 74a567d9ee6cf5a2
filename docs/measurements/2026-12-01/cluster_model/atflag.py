import sys, pandas as pd
tf, tc_ = float(sys.argv[1]), float(sys.argv[2])
for d in sys.argv[3:]:
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv'); im = pd.read_csv(d + '/evaluation/images.csv')
    im['thr'] = [tc_ if s > 0.15 else tf for s in im.spacing_row_mm]
    thr = im.set_index('sop_instance_uid').thr
    v = tc[tc.visibility == 'visible']
    hit = (v.matched & (v.matched_score >= v.sop_instance_uid.map(thr))).sum()
    im['fl'] = im.score >= im.thr
    neg = im[~im.has_cluster.astype(bool)]
    print(f"{d:20s} @{tf}/{tc_}: visible found at flag {hit}/{len(v)}  normals flagged {int(neg.fl.sum())}/{len(neg)}",
          {p: f"{int(g.fl.sum())}/{len(g)}" for p, g in neg.groupby('preset')})
