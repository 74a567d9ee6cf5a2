# Thirty-second session: the false-positive model (fine pixels) and the cluster model rebuilt on
# training phantoms made with the fine breast texture (calcdetect.phantom.fine_texture), the shipped
# recipes otherwise unchanged; then the operating points chosen by the shipped rule on the eight
# development sets made with the texture. The coarse model is kept (see README). Snapshot of a9a447f.
PY=/work/main/.venv/bin/python; S=/work/scratch/s32; SN=$S/snap
cd $S
CD() { PYTHONPATH=$SN/src $PY -c "import sys; from calcdetect.cli import main; sys.exit(main())" "$@"; }
t() { echo "$(date -u +%H:%M:%S) $*" >> $S/times.log; }
# (queue.sh, the first run, was stopped while it made the training sets, to put the rule's scans
# before the calibration and to validate both models leave-one-preset-out; the sets it had made
# are reused from the cache.)
# queue2.sh as it went on after its first attempt at the scans stopped (the models were made):
# A configuration with another cluster model must give its thresholds (the calibrated ones belong
# to the shipped model): the shipped four stand in; FROC and AUC do not read them.
echo '{"fp_model": "'$S'/fp_ft", "cluster_model": "'$S'/cluster_ft", "image_threshold": 0.191765, "image_threshold_coarse": 0.874416, "image_threshold_film": 0.471825, "image_threshold_film_coarse": 0.980921}' > cfg_models.json
# Before the operating points: the candidate scans the 31st session's sets (rule v17, adoption_rule_v17.md);
# FROC and AUC do not depend on the threshold, the flag is read off the same scans afterwards.
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --config $S/cfg_models.json "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
S31=/work/scratch/s31
reuse cand/tex72 $S31/hf/dig/phantoms --seed 96001172 --preset mix
reuse cand/tex73 $S31/ft/dig_96001173/phantoms --seed 96001173 --preset mix
reuse cand/dig72 $S31/sweep/dig/phantoms --seed 96001172 --preset mix
reuse cand/dig73 $S31/sweep/dig_96001173/phantoms --seed 96001173 --preset mix
reuse cand/film47 $S31/sweep/film/phantoms --seed 98000047 --preset film-mix
reuse cand/film48 $S31/sweep/film_98000048/phantoms --seed 98000048 --preset film-mix
reuse cand/dig72_0.2 $S31/sweep/dig/phantoms --seed 96001172 --preset mix --resample-mm 0.2
reuse cand/dig73_0.2 $S31/sweep/dig_96001173/phantoms --seed 96001173 --preset mix --resample-mm 0.2
t done scans
CD calibrate $S/calibrated.json --base cfg_models.json --per-preset --fine-texture --n 200 --workers 2 \
  --seed 20261130:mix:native,0.2 --seed 20261202:mix:native,0.2 --seed 20261203:mix:native,0.2 --seed 20261204:mix:native,0.2 \
  --seed 98000002:film-mix:native --seed 98100001:film-mix:native --seed 98100002:film-mix:native --seed 98100003:film-mix:native \
  > calibrate.out 2>&1
t done calibrate
echo done > MODELS_DONE
