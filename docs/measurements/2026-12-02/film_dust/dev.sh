# variant FD on the development sets: digital, film, and digital area-averaged to 0.2 mm, all scanned
PY=/work/main/.venv/bin/python; SN=/work/scratch/s19/snap_film; S=/work/scratch/s19; cfg=$S/cfg_fd_dev.json; W=${1:-1}
for k in fd2:/work/scratch/s12/new_fd2/phantoms:98000002:film-mix: dig:/work/scratch/dig/phantoms:20261130:mix: dig02:/work/scratch/dig/phantoms:20261130:mix:0.2; do
  IFS=: read name ph seed preset res <<< "$k"
  out=$S/dev/fd_$name; mkdir -p $out; ln -sfn $ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset $preset --no-reference --workers $W --reuse-phantoms --config $cfg ${res:+--resample-mm $res} > $out.log 2>&1
done
echo done > $S/dev/DEV_DONE
