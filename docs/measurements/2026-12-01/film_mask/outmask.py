import sys, json, numpy as np, pandas as pd
from concurrent.futures import ProcessPoolExecutor
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.mask import breast_mask
from calcdetect.detector.pipeline import _prepare
D = sys.argv[1]
def one(f):
    t = json.load(open(f'{D}/phantoms/' + f.replace('.dcm', '.truth.json')))
    m = read_mammogram(f'{D}/phantoms/{f}')
    bm = breast_mask(_prepare(m.pixels), spacing_mm=m.spacing_mm, view=m.view, config=DetectorConfig.default())
    out = []
    for c in t['clusters']:
        mem = [x for x in t['calcifications'] if x['cluster_id'] == c['cluster_id']]
        r = np.array([x['row'] for x in mem]); cc = np.array([x['col'] for x in mem])
        dp = np.array([x['d_prime'] for x in mem])
        ins = bm.in_search(r, cc); inb = bm.lookup(bm.breast, r, cc); inp = bm.lookup(bm.pectoral, r, cc)
        strong = dp >= 6
        out.append(dict(file=f, cluster=c['cluster_id'], preset=t['preset'], view=m.view, vis=c.get('visibility'),
                        n=len(mem), n_strong=int(strong.sum()), strong_in_search=int((strong & ins).sum()),
                        strong_out_breast=int((strong & ~inb).sum()), strong_in_pect=int((strong & inp).sum())))
    return out
man = pd.read_csv(f'{D}/phantoms/manifest.csv')
files = man[man.has_cluster.astype(bool)]['file'].tolist()
with ProcessPoolExecutor(2) as ex:
    rows = [r for rs in ex.map(one, files) for r in rs]
df = pd.DataFrame(rows); df.to_csv(sys.argv[2], index=False)
v = df[df.vis == 'visible']
lost = v[v.strong_in_search < 3]
print(D, 'visible', len(v), 'with <3 strong members in search', len(lost))
print(lost.to_string())
