import sys, pandas as pd
thr=float(sys.argv[1])
for d in sys.argv[2:]:
    im=pd.read_csv(d+'/evaluation/images.csv'); cm=pd.read_csv(d+'/evaluation/cluster_matches.csv')
    neg=im[~im.has_cluster]
    tm=pd.read_csv(d+'/evaluation/cluster_matches.csv')
    vis=pd.read_csv(d+'/evaluation/breakdown_clusters_by_visibility_class.csv') if False else None
    flagged=(neg.score>=thr).mean()
    bypreset={p:round((g.score>=thr).mean(),2) for p,g in neg.groupby('preset')}
    n_fp=(cm[cm.status=='fp'].score>=thr).sum()
    print(f"{d} thr {thr}: normals flagged {flagged:.3f} {bypreset} false clusters/img {n_fp/len(im):.3f}")
