S=/work/scratch/s17/hyst; cd $S/snap
for d in a001_dig:20261130:mix:/work/scratch/dig/phantoms: a001_fd2:98000002:film-mix:/work/scratch/s12/new_fd2/phantoms: a001_dig02:20261130:mix:/work/scratch/dig/phantoms:0.2 ; do
  IFS=: read name seed preset ph res <<< "$d"
  mkdir -p $S/$name; ln -sfn $ph $S/$name/phantoms
  extra=""; [ -n "$res" ] && extra="--resample-mm $res"
  PYTHONPATH=$S/snap/src /work/main/.venv/bin/python scripts/measure_detection.py $S/$name --n 200 --seed $seed --preset $preset --no-reference --workers 2 --reuse-phantoms --config $S/cfg_dev_a001.json $extra > $S/$name.log 2>&1
done
echo done > $S/DEV_DONE
