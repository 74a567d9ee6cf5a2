# variance study (no adoption): C2's recipe with LightGBM seeds 1-3, and the mean of the four models' probabilities, at 0.2 mm
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; SN=/work/scratch/s21/snapE
while [ ! -f c2_s3.json ]; do sleep 15; done
S=/work/scratch/s21
for m in c2_s1 c2_s2 c2_s3 mean4; do
  case $m in mean4) path="$S/c2|$S/c2_s1|$S/c2_s2|$S/c2_s3";; *) path=$S/$m;; esac
  echo "{\"calibration_seeds\": \"dev-copy\", \"fp_model_coarse\": \"$path\"}" > var/cfg_$m.json
  for k in dev:/work/scratch/s20/dev/ph_dig:20261130 f51:/work/scratch/s20/fresh9/base_dig_96001151/phantoms:96001151 f52:/work/scratch/s20/fresh9/base_dig_96001152/phantoms:96001152; do
    IFS=: read name ph seed <<< "$k"
    out=var/${m}_$name; mkdir -p $out; ln -sfn $ph $out/phantoms
    PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset mix --no-reference --workers 2 --reuse-phantoms --resample-mm 0.2 --config var/cfg_$m.json > $out.log 2>&1
  done
done
echo done > var/DONE
