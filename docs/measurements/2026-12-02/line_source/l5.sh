# L5 scans of the fresh sets (the shipped scans' phantoms), one worker; 0.2 mm by rescoring in fresh_v6.sh
PY=/work/main/.venv/bin/python; SN=/work/scratch/s18/snap
cat > cfg_l5.json <<'J'
{"calibration_seeds": "dev-copy", "line_source_snr": 5.0, "fp_model": "/work/scratch/s18/fp_line5", "cluster_model": "/work/scratch/s18/cm_line5", "image_threshold": 0.515438, "image_threshold_coarse": 0.80408}
J
for k in dig:96001145:mix dig:96001146:mix film:98000019:film-mix film:98000020:film-mix; do
  IFS=: read kind seed preset <<< "$k"
  out=l5_${kind}_$seed; mkdir -p $out; ln -sfn $PWD/base_${kind}_$seed/phantoms $out/phantoms
  PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --seed $seed --preset $preset --no-reference --workers 1 --reuse-phantoms --config $PWD/cfg_l5.json > $out.log 2>&1
done
