# baseline (shipped, HEAD 516fcbd) scans of the fresh sets, one worker
PY=/work/main/.venv/bin/python; SN=/work/scratch/s19/snap_base
for k in film:98000021:film-mix film:98000022:film-mix dig:96001147:mix dig:96001148:mix; do
  IFS=: read kind seed preset <<< "$k"
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py base_${kind}_$seed --n 200 --seed $seed --preset $preset --no-reference --workers 1 > base_${kind}_$seed.log 2>&1
done
for seed in 96001147 96001148; do
  mkdir -p base_dig02_$seed; ln -sfn $PWD/base_dig_$seed/phantoms base_dig02_$seed/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py base_dig02_$seed --n 200 --seed $seed --preset mix --no-reference --workers 1 --reuse-phantoms --resample-mm 0.2 > base_dig02_$seed.log 2>&1
done
echo done > BASE_DONE
