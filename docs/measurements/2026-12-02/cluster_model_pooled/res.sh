S=/work/scratch/s16; T=$S/res; mkdir -p $T; cd $S/snap3
for res in 0.15 0.1; do
  for v in old new; do
    name=${v}_dig${res}_96001141; mkdir -p $T/$name; ln -sfn $S/test/old_dig_96001141/phantoms $T/$name/phantoms
    cfg=$S/cfg_dev_default.json; [ $v = old ] && cfg=/work/main/docs/measurements/2026-12-02/cluster_model_pooled/top_sum_config.json
    PYTHONPATH=$S/snap3/src /work/main/.venv/bin/python scripts/measure_detection.py $T/$name --n 200 --seed 96001141 --preset mix --no-reference --workers 2 --reuse-phantoms --resample-mm $res --config $cfg > $T/$name.log 2>&1
  done
done
echo done > $S/RES_DONE
