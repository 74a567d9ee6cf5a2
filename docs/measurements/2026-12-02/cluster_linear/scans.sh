# base detector (HEAD + orientation column, outputs otherwise identical) on dev and fresh sets, 2 workers
PY=/work/main/.venv/bin/python; SN=/work/scratch/s20/snap2; S=/work/scratch/s20; W=2
cd $S
while [ ! -s exp_cluster.log ] || pgrep -f exp_cluster.py > /dev/null; do sleep 15; done
run() { out=$1; seed=$2; preset=$3; shift 3; mkdir -p $out
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset $preset --no-reference --workers $W "$@" > $out.log 2>&1; }
mkdir -p dev/dig; ln -sfn $S/dev/ph_dig dev/dig/phantoms
run dev/dig 20261130 mix --config $S/cfg_dev.json --reuse-phantoms
mkdir -p dev/dig02; ln -sfn $S/dev/ph_dig dev/dig02/phantoms
run dev/dig02 20261130 mix --config $S/cfg_dev.json --reuse-phantoms --resample-mm 0.2
run dev/film 98000002 film-mix --config $S/cfg_dev.json
echo done > dev/DONE
for k in dig:96001149:mix dig:96001150:mix film:98000023:film-mix film:98000024:film-mix; do
  IFS=: read kind seed preset <<< "$k"; run fresh/${kind}_$seed $seed $preset
  if [ $kind = dig ]; then mkdir -p fresh/dig02_$seed; ln -sfn $S/fresh/dig_$seed/phantoms fresh/dig02_$seed/phantoms
    run fresh/dig02_$seed $seed $preset --reuse-phantoms --resample-mm 0.2; fi
done
echo done > fresh/DONE
