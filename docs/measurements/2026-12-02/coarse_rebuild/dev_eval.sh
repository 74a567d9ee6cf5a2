# rule v10: thresholds and development readings of C2 and C2F (against the nineteenth session's shipped development scans)
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; M=/work/main/docs/measurements; D=/work/scratch/s20/dev
export PYTHONPATH=/work/scratch/s21/snap/src
for v in c2 c2f; do
  echo "== $v thresholds (thr_preset.py)"
  $PY $M/2026-12-01/cluster_model/thr_preset.py dev/${v}_dig02 dev/${v}_film:mias | tee dev/${v}_thr.txt
  t=$($PY -c "import re,sys;print(max(float(l.rsplit('max',1)[1]) for l in open('dev/${v}_thr.txt')))")
  echo "$v image_threshold_coarse $t"
  $PY $M/2026-12-02/cluster_model_pooled/boot.py DEV_dig02 $D/dig02 dev/${v}_dig02 0.222871 0.848763 0.222871 $t
  $PY $M/2026-12-02/cluster_model_pooled/boot.py DEV_film $D/film dev/${v}_film 0.222871 0.848763 0.222871 $t
  $PY - <<PYEOF
import pandas as pd
a = pd.read_csv('$D/film/evaluation/images.csv'); b = pd.read_csv('dev/${v}_film/evaluation/images.csv')
m = a.merge(b, on='sop_instance_uid', suffixes=('_a', '_b'))
fine = m.spacing_row_mm_a < 0.15
print('$v film finer than 0.15 mm: scores identical', (m.score_a[fine] == m.score_b[fine]).all(), int(fine.sum()), 'images')
PYEOF
done
