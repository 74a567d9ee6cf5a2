# the shipped detector on a sixth fresh pair (digital 96001151/52 full size and 0.2 mm, film 98000025/26): per-set targets, pooled readings, morphology at the flag
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; export PYTHONPATH=snap/src
B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled/boot.py
echo "The shipped detector (HEAD 4b4b24e) on a sixth fresh pair: issue 12 targets per set (metrics.json of each scan)"
for k in dig_96001151 dig_96001152 dig02_96001151 dig02_96001152 film_98000025 film_98000026; do
  $PY -c "
import json, sys
t = json.load(open('six/$k/evaluation/metrics.json'))['detector']['targets']
print('$k', '; '.join(f\"{n} {v['value']:.3f}\" + ('' if v['met'] else ' (not met)') for n, v in t.items() if v['value'] is not None))"
done
echo
echo "Pooled over each pair (boot.py, the detector against itself): visible-cluster sensitivity at 0.05/0.1/0.2 false clusters per image, image AUC, normals flagged and visible found at the flag"
$PY $B D six/dig_96001151,six/dig_96001152 six/dig_96001151,six/dig_96001152 0.222871 0.848763 0.222871 0.848763 | sed -n 1,2p
$PY $B D02 six/dig02_96001151,six/dig02_96001152 six/dig02_96001151,six/dig02_96001152 0.222871 0.848763 0.222871 0.848763 | sed -n 1,2p
$PY $B F six/film_98000025,six/film_98000026 six/film_98000025,six/film_98000026 0.222871 0.848763 0.222871 0.848763 | sed -n 1,2p
echo
echo "Visible clusters found at the flag, by morphology (flb.py)"
$PY flb.py six/dig_96001151 six/dig_96001152 six/dig02_96001151 six/dig02_96001152 six/film_98000025 six/film_98000026
