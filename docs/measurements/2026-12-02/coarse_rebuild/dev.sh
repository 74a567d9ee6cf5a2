# rule v10: C2 and C2F on the development sets (digital 20261130 at 0.2 mm, film 98000002), phantoms of the shipped scans reused
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; SN=/work/scratch/s21/snap; D=/work/scratch/s20/dev
mkdir -p dev
for v in c2 c2f; do
  while [ ! -f $v.json ]; do sleep 15; done
  for k in dig02:ph_dig:20261130:mix:0.2 film:film/phantoms:98000002:film-mix:; do
    IFS=: read name ph seed preset res <<< "$k"
    out=dev/${v}_$name; mkdir -p $out; ln -sfn $D/$ph $out/phantoms
    PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset $preset --no-reference --workers 2 --reuse-phantoms ${res:+--resample-mm $res} --config cfg_$v.json > $out.log 2>&1
  done
done
echo done > dev/DONE
