# rule v10: the shipped detector on the fresh sets (D02: phantoms of the nineteenth session's full-size scans; F: generated here)
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; SN=/work/scratch/s21/snap
for s in 96001151 96001152; do
  out=fresh/base_dig02_$s; mkdir -p $out; ln -sfn /work/scratch/s20/fresh9/base_dig_$s/phantoms $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset mix --no-reference --workers ${W:-1} --reuse-phantoms --resample-mm 0.2 > $out.log 2>&1
done
for s in 98000025 98000026; do
  out=fresh/base_film_$s
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset film-mix --no-reference --workers ${W:-1} > $out.log 2>&1
done
echo done > fresh/BASE_DONE
