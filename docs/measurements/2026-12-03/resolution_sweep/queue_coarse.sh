# Which model reads 0.12-0.14 mm pixels better: the sweep's 0.12 and 0.14 mm scans again, on the same
# phantoms, with the coarse model and the spot filter from 0.11 mm (cfg_coarse011.json: the shipped
# configuration with spot_min_spacing_mm 0.11). Compared threshold-free (FROC, AUC); at the flag each
# model has its own threshold. Runs after the fine-texture queue.
PY=/work/main/.venv/bin/python; S=/work/scratch/s31; SN=$S/snap
cd $S; while [ ! -e HF_DONE ]; do sleep 30; done
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
for mm in 0.12 0.14; do
  reuse sweep/dig_${mm}_coarse $S/sweep/dig/phantoms --seed 96001172 --preset mix --resample-mm $mm --config $S/cfg_coarse011.json
done
echo done > COARSE_DONE
