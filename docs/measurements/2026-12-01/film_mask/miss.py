import sys, numpy as np, pandas as pd
D, M, sel = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else '')
im = pd.read_csv(f'{D}/evaluation/images.csv'); cm = pd.read_csv(f'{D}/evaluation/cluster_matches.csv')
tc = pd.read_csv(f'{D}/evaluation/truth_clusters.csv')
man = pd.read_csv(f'{D}/phantoms/manifest.csv')
if sel:
    im = im[im.preset.str.contains(sel)]; tc = tc[tc.preset.str.contains(sel)]; cm = cm[cm.sop_instance_uid.isin(set(im.sop_instance_uid))]
n = len(im); fp = np.sort(cm.score[cm.status == 'fp'].to_numpy())[::-1]; thr = fp[int(0.1 * n)]
vis = tc[tc.visibility == 'visible'].copy()
vis['found'] = vis.matched & (vis.matched_score.fillna(-1) > thr)
mem = pd.read_csv(M)
uid2file = dict(zip(man.sop_instance_uid, man.file)) if 'sop_instance_uid' in man else None
print('thr at 0.1 FP', thr, 'visible', len(vis), 'found', vis.found.sum())
for _, r in vis[~vis.found].iterrows():
    f = uid2file[r.sop_instance_uid]
    m = mem[(mem.file == f) & (mem.cluster == r.cluster_id)].sort_values('dprime', ascending=False)
    print(f"{f} c{r.cluster_id} {r.preset} {r.morphology} n={r.n_calcifications} matched={r.matched} score={r.matched_score:.3f} third_d'={r.third_d_prime:.1f}")
    for _, x in m.iterrows():
        print(f"    d'={x.dprime:5.1f} diam={x.diam:.2f} {x['shape']:9s} near={x.n_near} prob={x.prob:.3f} snr={x.snr:.1f} spotI={x.spot_image_snr:.1f} spotB={x.spot_block_snr:.1f}")
