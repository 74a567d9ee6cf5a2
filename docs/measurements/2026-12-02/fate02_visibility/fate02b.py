"""Stage fate of every member of every visible cluster at 0.2 mm (the shipped detector), on the used sixth
digital pair: the phantoms area-averaged as measure_detection.py --resample-mm 0.2 does.
usage: fate02.py OUT.csv PHANTOM_DIR..."""
import json, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import numpy as np, pandas as pd


def one(task):
    path, truth_path = task
    import cv2; cv2.setNumThreads(1)
    from calcdetect.io import read_mammogram
    from calcdetect.config import DetectorConfig
    from calcdetect.detector.pipeline import analyse_candidates, detect
    from calcdetect.detector.fp_model import model_for
    from calcdetect.learning.dataset import resample_image
    from calcdetect.evaluation.truth import resample_truth
    truth = json.load(open(truth_path)); m = read_mammogram(path); cfg = DetectorConfig.default()
    pixels, sp, factor = resample_image(m.pixels, m.spacing_mm, 0.2)
    truth = resample_truth(truth, factor, pixels.shape)
    an = analyse_candidates(pixels, spacing_mm=sp, view=m.view, config=cfg)
    prob = model_for(an.spacing_mm, cfg).probability(an.features.matrix)
    res = detect(pixels, spacing_mm=sp, view=m.view, config=cfg)
    cr, cc = an.peaks.row_px.astype(float), an.peaks.col_px.astype(float)
    acc = [(c.row_px, c.col_px, c.probability, c.cluster_id, "") for c in res.calcifications] + \
          [(c.row_px, c.col_px, c.probability, -1, c.rejected) for c in res.rejected_calcifications]
    clusters = {cl['cluster_id']: cl for cl in truth.get('clusters', [])}
    out = []
    for t in truth["calcifications"]:
        k = clusters.get(t.get('cluster_id', -1), {})
        if k.get('visibility') != 'visible':
            continue
        r, c = t["row"], t["col"]; tol = max(0.5, t["diameter_mm"] / 2) / sp[0]
        ins = bool(an.mask.in_search(np.array([int(round(r))]), np.array([int(round(c))]))[0])
        d = np.hypot(cr - r, cc - c); j = int(np.argmin(d)) if d.size else -1
        cand = j >= 0 and d[j] <= tol
        fate = 'outside' if not ins else 'no_candidate' if not cand else 'low_p'
        p = float(prob[j]) if cand else np.nan
        acc_p, why, cid = np.nan, '', -2
        for a in acc:
            if np.hypot(a[0] - r, a[1] - c) <= tol and (np.isnan(acc_p) or a[2] > acc_p):
                acc_p, cid, why = a[2], a[3], a[4]
        if not np.isnan(acc_p):
            fate = ('rejected:' + why) if why else ('accepted_in_cluster' if cid >= 0 else 'accepted_alone')
        snr = float(an.peaks.snr[j]) if cand else np.nan
        out.append(dict(image=Path(path).name, set=Path(path).parent.parent.name, cluster=t.get('cluster_id', -1),
                        morphology=k.get('morphology', ''), d_prime=t['d_prime'], d_prime_02=t.get('d_prime_0.2mm', np.nan), diameter_mm=t['diameter_mm'],
                        shape=t.get('shape', ''), fate=fate, p=p, accepted_p=acc_p, snr=snr,
                        dist_px=float(d[j]) if j >= 0 else np.nan, tol_px=tol))
    return out


if __name__ == "__main__":
    tasks = []
    for d in sys.argv[2:]:
        for t in sorted(Path(d).glob('*.truth.json')):
            doc = json.loads(t.read_text())
            if any(c.get('visibility') == 'visible' for c in doc.get('clusters', [])):
                tasks.append((str(t).replace('.truth.json', '.dcm'), str(t)))
    with ProcessPoolExecutor(2) as ex:
        rows = [r for rs in ex.map(one, tasks) for r in rs]
    df = pd.DataFrame(rows); df.to_csv(sys.argv[1], index=False)
    big = df[df.d_prime >= 6]
    print(f"{len(tasks)} images with a visible cluster; members of visible clusters at 0.2 mm with d' >= 6, by fate")
    print(pd.crosstab(big.morphology, big.fate, margins=True))
    print("\nmedian candidate SNR and probability of those with a candidate, by morphology")
    print(big[big.fate != 'no_candidate'].groupby('morphology')[['snr', 'p']].median().round(3))
