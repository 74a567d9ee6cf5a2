# shipped detector on the fresh sets of rule v14 (results not read until the rule is committed)
PY=/work/main/.venv/bin/python; S=/work/scratch/s25; SN=$S/snap
cd $S
run() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --reuse-phantoms "$@" > $out.log 2>&1; }
gen() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
for s in 96001160 96001161; do
  gen fresh/base_dig_$s --seed $s --preset mix
  run fresh/base_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2
  gen fresh/base_ms_$s --seed $s --preset mix --presentation-processing multiscale
done
for s in 98000031 98000032; do gen fresh/base_film_$s --seed $s --preset film-mix; done
echo base > BASE_DONE
