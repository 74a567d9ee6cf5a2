# Thirty-second session: the false-positive model (fine pixels) and the cluster model rebuilt on
# training phantoms made with the fine breast texture (calcdetect.phantom.fine_texture), the shipped
# recipes otherwise unchanged; then the operating points chosen by the shipped rule on the eight
# development sets made with the texture. The coarse model is kept (see README). Snapshot of a9a447f.
PY=/work/main/.venv/bin/python; S=/work/scratch/s32; SN=$S/snap
cd $S
CD() { PYTHONPATH=$SN/src $PY -c "import sys; from calcdetect.cli import main; sys.exit(main())" "$@"; }
t() { echo "$(date -u +%H:%M:%S) $*" >> $S/times.log; }
t start fp
CD train $S/fp_ft --fine-texture --phantoms $S/ph --workers 2 --no-validate > fp_ft.out 2>&1
t done fp
echo '{"fp_model": "'$S'/fp_ft"}' > cfg_fp.json
CD train $S/cluster_ft --clusters --fine-texture --phantoms $S/ph --config cfg_fp.json --workers 2 --no-validate > cluster_ft.out 2>&1
t done cluster
echo '{"fp_model": "'$S'/fp_ft", "cluster_model": "'$S'/cluster_ft"}' > cfg_models.json
CD calibrate $S/calibrated.json --base cfg_models.json --per-preset --fine-texture --n 200 --workers 2 \
  --seed 20261130:mix:native,0.2 --seed 20261202:mix:native,0.2 --seed 20261203:mix:native,0.2 --seed 20261204:mix:native,0.2 \
  --seed 98000002:film-mix:native --seed 98100001:film-mix:native --seed 98100002:film-mix:native --seed 98100003:film-mix:native \
  > calibrate.out 2>&1
t done calibrate
echo done > MODELS_DONE
