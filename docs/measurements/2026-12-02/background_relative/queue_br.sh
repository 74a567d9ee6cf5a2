# rule v14: train BR, scan the development sets with it (thresholds come after, cfg_br_fresh.json)
PY=/work/main/.venv/bin/python; S=/work/scratch/s25; SN=$S/snap_br; D=/work/scratch/s20/dev
cd $S
PYTHONPATH=$SN/src $PY train_br.py > train_br.log 2>&1 || exit 1
run() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --reuse-phantoms "$@" > $out.log 2>&1; }
mkdir -p dev
run dev/br_ms /work/scratch/s23/proc/ph_multiscale --seed 20261130 --preset mix --config cfg_br_dev.json
run dev/br_dig $D/ph_dig --seed 20261130 --preset mix --config cfg_br_dev.json
run dev/br_dig02 $D/ph_dig --seed 20261130 --preset mix --resample-mm 0.2 --config cfg_br_dev.json
run dev/br_film $D/film/phantoms --seed 98000002 --preset film-mix --config cfg_br_dev.json
echo dev > DEV_DONE
