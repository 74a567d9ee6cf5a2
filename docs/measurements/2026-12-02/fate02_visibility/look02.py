import json, sys, numpy as np, pandas as pd, cv2
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
from calcdetect.detector.pipeline import analyse_candidates
from calcdetect.learning.dataset import resample_image
from calcdetect.evaluation.truth import resample_truth
D = '/work/scratch/s20/dev/ph_dig/'
df = pd.read_csv('fate_dev02.csv'); b = df[(df.d_prime_02 >= 6) & (df.fate == 'no_candidate')]
tiles = []
for img, g in list(b.groupby('image'))[:9]:
    m = read_mammogram(D + img); truth = json.load(open(D + img.replace('.dcm', '.truth.json')))
    px, sp, f = resample_image(m.pixels, m.spacing_mm, 0.2); truth = resample_truth(truth, f, px.shape)
    an = analyse_candidates(px, spacing_mm=sp, view=m.view, config=DetectorConfig.default())
    t0 = [t for t in truth['calcifications'] if abs(t['d_prime'] - g.d_prime.iloc[0]) < 1e-9][0]
    r0, c0 = int(round(t0['row'])), int(round(t0['col'])); h = 20
    crop = px[r0 - h:r0 + h, c0 - h:c0 + h].astype(np.float32)
    lo, hi = np.percentile(crop, [1, 99.8]); gimg = np.clip((crop - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    s = 8; rgb = cv2.cvtColor(cv2.resize(gimg, None, fx=s, fy=s, interpolation=cv2.INTER_NEAREST), cv2.COLOR_GRAY2BGR)
    for t in truth['calcifications']:
        rr, cc = t['row'] - (r0 - h), t['col'] - (c0 - h)
        if 0 <= rr < 2 * h and 0 <= cc < 2 * h:
            col = (0, 255, 0) if t.get('d_prime_0.2mm', 0) >= 6 else (0, 128, 0)
            cv2.circle(rgb, (int((cc + .5) * s), int((rr + .5) * s)), 10, col, 1)
    for rr, cc, snr in zip(an.peaks.row_px, an.peaks.col_px, an.peaks.snr):
        rr, cc = rr - (r0 - h), cc - (c0 - h)
        if 0 <= rr < 2 * h and 0 <= cc < 2 * h:
            cv2.drawMarker(rgb, (int((cc + .5) * s), int((rr + .5) * s)), (0, 0, 255), cv2.MARKER_CROSS, 12, 1)
    cv2.circle(rgb, (int((h + .5) * s), int((h + .5) * s)), 16, (255, 0, 255), 1)
    cv2.putText(rgb, f"{img[8:12]} d'02={t0['d_prime_0.2mm']:.1f} {t0['diameter_mm']:.2f}mm", (3, 14), 0, 0.5, (0, 255, 255), 1)
    tiles.append(rgb)
    inside = an.mask.in_search(np.array([r0]), np.array([c0]))[0]
    print(img, 'in search', inside, 'n cand', len(an.peaks.row_px))
while len(tiles) % 3: tiles.append(np.zeros_like(tiles[0]))
cv2.imwrite('look02.png', np.vstack([np.hstack(tiles[i:i + 3]) for i in range(0, len(tiles), 3)]))
