# variant L5 on the development sets: digital and film scanned, digital 0.2 mm rescored from the shipped scan
# usage: dev.sh CFG CLUSTER_MODEL
PY=/work/main/.venv/bin/python; SN=/work/scratch/s18/snap; S=/work/scratch/s18; cfg=$1; cm=$2
for k in dig:/work/scratch/dig/phantoms:20261130:mix fd2:/work/scratch/s12/new_fd2/phantoms:98000002:film-mix; do
  IFS=: read name ph seed preset <<< "$k"
  out=$S/dev/l5_$name; mkdir -p $out; ln -sfn $ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset $preset --no-reference --workers 1 --reuse-phantoms --config $cfg > $out.log 2>&1
done
