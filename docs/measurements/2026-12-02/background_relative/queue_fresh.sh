# rule v14: BR's fresh scans, after its thresholds were committed (86c188a)
PY=/work/main/.venv/bin/python; S=/work/scratch/s25; SN=$S/snap_br
cd $S
run() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --reuse-phantoms "$@" > $out.log 2>&1; }
for s in 96001160 96001161; do
  run fresh/br_dig_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --config cfg_br_fresh.json
  run fresh/br_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2 --config cfg_br_fresh.json
  run fresh/br_ms_$s $S/fresh/base_ms_$s/phantoms --seed $s --preset mix --config cfg_br_fresh.json
done
while [ ! -f BASE_DONE ]; do sleep 15; done
for s in 98000031 98000032; do run fresh/br_film_$s $S/fresh/base_film_$s/phantoms --seed $s --preset film-mix --config cfg_br_fresh.json; done
echo br > DONE
