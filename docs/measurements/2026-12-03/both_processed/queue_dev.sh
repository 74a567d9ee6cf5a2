# rule v15: BP's development scans, after train_bp.py (the shipped detector's: /work/scratch/s26/dev/base_*, ms)
H=/work/main/docs/measurements/2026-12-03/both_processed; PY=/work/main/.venv/bin/python; export PYTHONPATH=/work/main/src
cd /work/scratch/s26; D=/work/scratch/s26/dev
while [ ! -f bp/bp_cluster.txt ]; do sleep 15; done; sleep 5
run() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms
  $PY /work/main/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --reuse-phantoms --config $H/cfg_bp_dev.json "$@" > $out.log 2>&1; }
run dev/bp_ms $D/ms/phantoms --seed 20261130 --preset mix
run dev/bp_dig $D/plain --seed 20261130 --preset mix
run dev/bp_dig02 $D/plain --seed 20261130 --preset mix --resample-mm 0.2
run dev/bp_film $D/base_film/phantoms --seed 98000002 --preset film-mix
echo done > dev/BP_DONE
