S=/work/scratch/s17; T=$S/test; mkdir -p $T; cd /work/main
export PYTHONPATH=$S/snap/src
run() { name=$1; seed=$2; preset=$3; shift 3; .venv/bin/python $S/snap/scripts/measure_detection.py $T/$name --n 200 --seed $seed --preset $preset --no-reference --workers 2 "$@" > $T/$name.log 2>&1; }
for sp in 96001143:mix:dig 96001144:mix:dig 98000017:film-mix:film 98000018:film-mix:film; do
  IFS=: read seed preset kind <<< "$sp"
  run base_${kind}_$seed $seed $preset
  if [ $kind = dig ]; then
    mkdir -p $T/base_dig02_$seed; ln -sfn $T/base_dig_$seed/phantoms $T/base_dig02_$seed/phantoms
    run base_dig02_$seed $seed $preset --reuse-phantoms --resample-mm 0.2
  fi
done
echo done > $S/FRESH_DONE
