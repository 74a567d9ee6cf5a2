# baseline (shipped) scans of the fresh sets, one worker (training holds the other core)
PY=/work/main/.venv/bin/python; SN=/work/scratch/s18/snap
for k in dig:96001145:mix dig:96001146:mix film:98000019:film-mix film:98000020:film-mix; do
  IFS=: read kind seed preset <<< "$k"
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py base_${kind}_$seed --n 200 --seed $seed --preset $preset --no-reference --workers 1 > base_${kind}_$seed.log 2>&1
done
