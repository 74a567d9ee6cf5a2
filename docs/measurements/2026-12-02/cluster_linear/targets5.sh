# the shipped detector on the fifth fresh pair: per-set targets, pooled readings, morphology at the flag
cd /work/scratch/s20; PY=/work/main/.venv/bin/python; export PYTHONPATH=snap2/src
B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled/boot.py
echo "The shipped detector (HEAD 5cd02b1, outputs identical to 5be6afa) on a fifth fresh pair: issue 12 targets per set (metrics.json of each scan)"
for k in dig_96001149 dig_96001150 dig02_96001149 dig02_96001150 film_98000023 film_98000024; do
  $PY -c "
import json, sys
t = json.load(open('fresh/$k/evaluation/metrics.json'))['detector']['targets']
print('$k', '; '.join(f\"{n} {v['value']:.3f}\" + ('' if v['met'] else ' (not met)') for n, v in t.items() if v['value'] is not None))"
done
echo
echo "Pooled over each pair (boot.py, the detector against itself): visible-cluster sensitivity at 0.05/0.1/0.2 false clusters per image, image AUC, normals flagged and visible found at the flag"
$PY $B D fresh/dig_96001149,fresh/dig_96001150 fresh/dig_96001149,fresh/dig_96001150 0.222871 0.848763 0.222871 0.848763 | sed -n 1,2p
$PY $B D02 fresh/dig02_96001149,fresh/dig02_96001150 fresh/dig02_96001149,fresh/dig02_96001150 0.222871 0.848763 0.222871 0.848763 | sed -n 1,2p
$PY $B F fresh/film_98000023,fresh/film_98000024 fresh/film_98000023,fresh/film_98000024 0.222871 0.848763 0.222871 0.848763 | sed -n 1,2p
echo
echo "Visible clusters found at the flag, by morphology (flb.py)"
$PY flb.py fresh/dig_96001149 fresh/dig_96001150 fresh/dig02_96001149 fresh/dig02_96001150 fresh/film_98000023 fresh/film_98000024
