# rule v13: train PT, scan the development sets with it, then the fresh sets with the shipped detector;
# PT's fresh scans wait for its committed thresholds (cfg_pt_fresh.json)
PY=/work/main/.venv/bin/python; S=/work/scratch/s24; SN=$S/snap; D=/work/scratch/s20/dev
cd $S
while pgrep -f "s24/gen.py|python gen.py" > /dev/null; do sleep 10; done
PYTHONPATH=/work/main/src $PY train_pt.py > train_pt.log 2>&1
run() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --reuse-phantoms "$@" > $out.log 2>&1; }
mkdir -p dev
run dev/pt_dig $D/ph_dig --seed 20261130 --preset mix --config cfg_pt_dev.json
run dev/pt_dig02 $D/ph_dig --seed 20261130 --preset mix --resample-mm 0.2 --config cfg_pt_dev.json
run dev/pt_film $D/film/phantoms --seed 98000002 --preset film-mix --config cfg_pt_dev.json
run dev/pt_ms /work/scratch/s23/proc/ph_multiscale --seed 20261130 --preset mix --config cfg_pt_dev.json
echo dev > DEV_DONE
mkdir -p fresh
gen() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
for s in 96001158 96001159; do
  gen fresh/base_dig_$s --seed $s --preset mix
  run fresh/base_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2
  gen fresh/base_ms_$s --seed $s --preset mix --presentation-processing multiscale
done
for s in 98000029 98000030; do gen fresh/base_film_$s --seed $s --preset film-mix; done
echo base > BASE_DONE
while [ ! -f cfg_pt_fresh.json ]; do sleep 15; done
for s in 96001158 96001159; do
  run fresh/pt_dig_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --config cfg_pt_fresh.json
  run fresh/pt_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2 --config cfg_pt_fresh.json
  run fresh/pt_ms_$s $S/fresh/base_ms_$s/phantoms --seed $s --preset mix --config cfg_pt_fresh.json
done
for s in 98000029 98000030; do run fresh/pt_film_$s $S/fresh/base_film_$s/phantoms --seed $s --preset film-mix --config cfg_pt_fresh.json; done
echo pt > DONE
