# rule v15's fresh readings (scans of /work/scratch/s27/fresh made by queue_fresh.sh)
cd /work/scratch/s27/fresh; PY=/work/main/.venv/bin/python; B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled
T="0.222871 0.848763 0.215077 0.890407"
b() { PYTHONPATH=/work/main/src $PY $B/boot.py $1 $2_$4,$2_$5 $3_$4,$3_$5 $T; }
b D base_dig bp_dig 96001162 96001163
b D02 base_dig02 bp_dig02 96001162 96001163
b F base_film bp_film 98000033 98000034
b P base_ms bp_ms 96001162 96001163
