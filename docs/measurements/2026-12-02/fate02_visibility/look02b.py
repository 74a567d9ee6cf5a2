import json, numpy as np, pandas as pd, cv2
from calcdetect.io import read_mammogram
from calcdetect.learning.dataset import resample_image
from calcdetect.evaluation.truth import resample_truth
D = '/work/scratch/s20/dev/ph_dig/'
df = pd.read_csv('fate_dev02.csv')
rows = []
for fate_sel, label in [((df.d_prime_02 >= 6) & (df.fate == 'no_candidate'), 'missed'),
                        ((df.d_prime_02 >= 6) & (df.fate == 'accepted_in_cluster'), 'found')]:
    b = df[fate_sel]
    if label == 'found':
        b = b.groupby('image').head(1).head(25)
    for img, g in b.groupby('image'):
        m = read_mammogram(D + img); truth = json.load(open(D + img.replace('.dcm', '.truth.json')))
        px, sp, f = resample_image(m.pixels, m.spacing_mm, 0.2); truth = resample_truth(truth, f, px.shape)
        x = px.astype(np.float32); hp = x - cv2.GaussianBlur(x, (0, 0), 2.0)
        for dp in g.d_prime:
            t0 = [t for t in truth['calcifications'] if abs(t['d_prime'] - dp) < 1e-9][0]
            r, c = int(round(t0['row'])), int(round(t0['col']))
            win = hp[r - 15:r + 16, c - 15:c + 16]
            sig = 1.4826 * np.median(np.abs(win - np.median(win)))
            peak = hp[r - 1:r + 2, c - 1:c + 2].max()
            rows.append(dict(kind=label, image=img, d02=t0['d_prime_0.2mm'], z=peak / sig, diam=t0['diameter_mm']))
r = pd.DataFrame(rows); print(r.groupby('kind')[['d02', 'z']].describe(percentiles=[.25, .5, .75]).round(2).T.to_string())
print(r[r.kind == 'missed'].round(2).to_string())
