S=/work/scratch/s16; T=$S/test; mkdir -p $T; cd /work/main
export PYTHONPATH=$S/snap/src
run() { name=$1; seed=$2; preset=$3; cfg=$4; shift 4; .venv/bin/python $S/snap/scripts/measure_detection.py $T/$name --n 200 --seed $seed --preset $preset --no-reference --workers 2 "$@" ${cfg:+--config $cfg} > $T/$name.log 2>&1; }
for sp in 96001141:mix:dig 96001142:mix:dig 98000015:film-mix:film 98000016:film-mix:film; do
  IFS=: read seed preset kind <<< "$sp"
  run old_${kind}_$seed $seed $preset ""
  mkdir -p $T/new_${kind}_$seed; ln -sfn $T/old_${kind}_$seed/phantoms $T/new_${kind}_$seed/phantoms
  run new_${kind}_$seed $seed $preset $S/cfg_v1.json --reuse-phantoms
  if [ $kind = dig ]; then
    for v in old new; do
      mkdir -p $T/${v}_dig02_$seed; ln -sfn $T/old_dig_$seed/phantoms $T/${v}_dig02_$seed/phantoms
      c=""; [ $v = new ] && c=$S/cfg_v1.json
      run ${v}_dig02_$seed $seed $preset "$c" --reuse-phantoms --resample-mm 0.2
    done
  fi
done
echo done > $S/FRESH_DONE
