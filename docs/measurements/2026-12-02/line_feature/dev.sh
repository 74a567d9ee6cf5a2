# rule v9: L100 on the development sets (digital, film), phantoms of the shipped scans reused
cd /work/scratch/s20; PY=/work/main/.venv/bin/python; SN=/work/scratch/s20/snap3
while ! grep -q "'leave_one_preset_out'\|validation" l100/train.log 2>/dev/null || pgrep -f train_l100.py > /dev/null; do sleep 20; done
for k in dig:ph_dig:20261130:mix film:film/phantoms:98000002:film-mix; do
  IFS=: read name ph seed preset <<< "$k"
  out=dev/l100_$name; mkdir -p $out; ln -sfn /work/scratch/s20/dev/$ph $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset $preset --no-reference --workers 2 --reuse-phantoms --config l100/cfg_dev.json > $out.log 2>&1
done
echo done > l100/DEV_DONE
