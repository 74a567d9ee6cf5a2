# rule v10: C2 on the fresh sets, the phantoms of the shipped scans
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; SN=/work/scratch/s21/snap
for s in 96001151 96001152; do
  out=fresh/c2_dig02_$s; mkdir -p $out; ln -sfn /work/scratch/s20/fresh9/base_dig_$s/phantoms $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset mix --no-reference --workers 1 --reuse-phantoms --resample-mm 0.2 --config cfg_c2_fresh.json > $out.log 2>&1
done
while [ ! -f fresh/BASE_DONE ]; do sleep 15; done
for s in 98000025 98000026; do
  out=fresh/c2_film_$s; mkdir -p $out; ln -sfn /work/scratch/s21/fresh/base_film_$s/phantoms $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset film-mix --no-reference --workers 2 --reuse-phantoms --config cfg_c2_fresh.json > $out.log 2>&1
done
echo done > fresh/C2_DONE
