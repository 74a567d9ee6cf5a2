# The shipped rule on the four development sets per reading (shipped detector's scans: the
# twenty-sixth session's of 20261130 / 98000002, the twenty-eighth's of the three more)
B=/work/scratch/s26/dev; D=/work/scratch/s28/dev
cd /work/main/docs/measurements/2026-12-03/threshold_noise
/work/main/.venv/bin/python -c "
import thr_pooled as T
dig = ['$B/base_dig'] + [f'$D/dig_{s}' for s in (20261202, 20261203, 20261204)]
dig02 = ['$B/base_dig02'] + [f'$D/dig02_{s}' for s in (20261202, 20261203, 20261204)]
film = ['$B/base_film'] + [f'$D/film_{s}' for s in (98100001, 98100002, 98100003)]
for name, coarse, dirs in (('fp_model', False, dig + film), ('fp_model_coarse', True, dig02 + film)):
    per = T.thresholds(dirs, coarse)
    for preset, (n, thr) in sorted(per.items(), key=lambda kv: -kv[1][1]):
        print(f'{name}  {preset:<16} {n:4d} images  {thr:.6f}')
"
