# baseline 0.2 mm scans of the fresh digital sets (the phantoms of base_dig_SEED, area-averaged)
PY=/work/main/.venv/bin/python; SN=/work/scratch/s18/snap
for seed in 96001145 96001146; do
  mkdir -p base_dig02_$seed; ln -sfn $PWD/base_dig_$seed/phantoms base_dig02_$seed/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py base_dig02_$seed --n 200 --seed $seed --preset mix --no-reference --workers 1 --reuse-phantoms --resample-mm 0.2 > base_dig02_$seed.log 2>&1
done
