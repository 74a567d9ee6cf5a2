# rule v11: E4's film development scan (threshold), then the fresh sets: shipped and E4 on the same phantoms
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; SN=/work/scratch/s21/snap; SE=/work/scratch/s21/snapE; S=/work/scratch/s21
E4="$S/c2|$S/c2_s1|$S/c2_s2|$S/c2_s3"
out=v11/e4_dev_film; mkdir -p $out; ln -sfn /work/scratch/s20/dev/film/phantoms $out/phantoms
PYTHONPATH=$SE/src $PY $SE/scripts/measure_detection.py $out --n 200 --seed 98000002 --preset film-mix --no-reference --workers 2 --reuse-phantoms --config var/cfg_mean4.json > $out.log 2>&1
echo dev > v11/DEV_DONE
# fresh phantoms and the shipped scans (nothing of E4 yet)
for s in 96001153 96001154; do
  out=v11/base_dig02_$s
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset mix --no-reference --workers 2 --resample-mm 0.2 > $out.log 2>&1
done
for s in 98000027 98000028; do
  out=v11/base_film_$s
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset film-mix --no-reference --workers 2 > $out.log 2>&1
done
echo base > v11/BASE_DONE
# E4 waits for its committed threshold
while [ ! -f v11/cfg_e4_fresh.json ]; do sleep 15; done
for s in 96001153 96001154; do
  out=v11/e4_dig02_$s; mkdir -p $out; ln -sfn $S/v11/base_dig02_$s/phantoms $out/phantoms
  PYTHONPATH=$SE/src $PY $SE/scripts/measure_detection.py $out --n 200 --seed $s --preset mix --no-reference --workers 2 --reuse-phantoms --resample-mm 0.2 --config v11/cfg_e4_fresh.json > $out.log 2>&1
done
for s in 98000027 98000028; do
  out=v11/e4_film_$s; mkdir -p $out; ln -sfn $S/v11/base_film_$s/phantoms $out/phantoms
  PYTHONPATH=$SE/src $PY $SE/scripts/measure_detection.py $out --n 200 --seed $s --preset film-mix --no-reference --workers 2 --reuse-phantoms --config v11/cfg_e4_fresh.json > $out.log 2>&1
done
echo e4 > v11/DONE
