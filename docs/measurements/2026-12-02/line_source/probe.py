"""Line source probe: for the visible-cluster members of the used digital pair, does a candidate lie within
the match tolerance with the line source on (threshold T) vs off; candidates per image; time."""
import json, sys, time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
import numpy as np, pandas as pd

def one(task):
    path, t = task
    import cv2; cv2.setNumThreads(1)
    from calcdetect.io import read_mammogram
    from calcdetect.config import DetectorConfig
    from calcdetect.detector.pipeline import analyse_candidates
    m = read_mammogram(path); sp = m.spacing_mm
    truth = json.load(open(path.replace('.dcm', '.truth.json')))
    out = {}
    for name, cfg in (('off', DetectorConfig.default()), ('on', replace(DetectorConfig.default(), line_source_snr=t))):
        t0 = time.perf_counter()
        a = analyse_candidates(m.pixels, spacing_mm=sp, view=m.view, config=cfg)
        out[name] = (a, time.perf_counter() - t0)
    clusters = {c['cluster_id']: c for c in truth.get('clusters', [])}
    rows = []
    for c in truth['calcifications']:
        k = clusters.get(c.get('cluster_id', -1), {})
        tol = max(0.5, c['diameter_mm'] / 2) / sp[0]
        rec = dict(image=Path(path).name, set=Path(path).parent.parent.name, d_prime=c['d_prime'], shape=c.get('shape', ''),
                   morphology=k.get('morphology', ''), visibility=k.get('visibility', ''))
        for name, (a, _) in out.items():
            d = np.hypot(a.peaks.row_px - c['row'], a.peaks.col_px - c['col'])
            rec[f'cand_{name}'] = bool((d <= tol).any())
            if name == 'on':
                j = np.argmin(d) if d.size else None
                rec['line_snr'] = float(a.peaks.line_snr[j]) if j is not None and d[j] <= tol else np.nan
        rows.append(rec)
    img = dict(image=Path(path).name, set=Path(path).parent.parent.name,
               n_off=len(out['off'][0].peaks), n_on=len(out['on'][0].peaks), t_off=out['off'][1], t_on=out['on'][1],
               scales_off=out['off'][0].timings_s.get('scales'), scales_on=out['on'][0].timings_s.get('scales'))
    return rows, img

if __name__ == '__main__':
    out, t, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    tasks = []
    for s in sys.argv[4:]:
        im = pd.read_csv(f'{s}/scan/images.csv')
        tasks += [(p, t) for p in im.path[:n]]
    rows, imgs = [], []
    with ProcessPoolExecutor(2) as pool:
        for r, i in pool.map(one, tasks):
            rows += r; imgs.append(i)
    pd.DataFrame(rows).to_csv(out + '_members.csv', index=False)
    pd.DataFrame(imgs).to_csv(out + '_images.csv', index=False)
