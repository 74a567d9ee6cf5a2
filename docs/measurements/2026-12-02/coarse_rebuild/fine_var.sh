# variance study, full-size model: the used sixth digital pair at full size with fp_model fitted with seeds 1 and 2
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; SN=/work/scratch/s21/snap
PYTHONPATH=$SN/src $PY fine_seeds.py > fine_seeds.log 2>&1
for m in fine_s1 fine_s2; do
  echo "{\"calibration_seeds\": \"dev-copy\", \"fp_model\": \"/work/scratch/s21/$m\"}" > var/cfg_$m.json
  for s in 96001151 96001152; do
    out=var/${m}_dig_$s; mkdir -p $out; ln -sfn /work/scratch/s20/fresh9/base_dig_$s/phantoms $out/phantoms
    PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $s --preset mix --no-reference --workers 2 --reuse-phantoms --config var/cfg_$m.json > $out.log 2>&1
  done
done
echo done > var/FINE_DONE
