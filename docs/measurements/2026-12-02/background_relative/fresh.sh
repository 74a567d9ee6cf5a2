# rule v14's fresh readings (scratch scans of /work/scratch/s25/fresh: base.sh, queue_fresh.sh)
cd /work/scratch/s25/fresh; PY=/work/main/.venv/bin/python; H=/work/main/docs/measurements/2026-12-02
T="0.222871 0.848763 $(cat ../br_thresholds.txt)"
b() { PYTHONPATH=/work/main/src $PY $H/cluster_model_pooled/boot.py $1 $2_$4,$2_$5 $3_$4,$3_$5 $T; }
b D base_dig br_dig 96001160 96001161
b D02 base_dig02 br_dig02 96001160 96001161
b F base_film br_film 98000031 98000032
b P base_ms br_ms 96001160 96001161
