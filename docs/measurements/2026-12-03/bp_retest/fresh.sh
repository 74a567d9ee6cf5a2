# rule v16's readings (scans of /work/scratch/s28/fresh made by queue.sh)
cd /work/scratch/s28/fresh; PY=/work/main/.venv/bin/python; B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled
T="0.222871 0.848763 0.215077 0.890407"
j() { local p=$1; shift; local IFS=,; local a=(); for s in "$@"; do a+=("${p}_$s"); done; echo "${a[*]}"; }
b() { PYTHONPATH=/work/main/src $PY $B/boot.py $1 $(j $2 $4 $5 $6 $7) $(j $3 $4 $5 $6 $7) $T; }
b D base_dig bp_dig 96001164 96001165 96001166 96001167
b D02 base_dig02 bp_dig02 96001164 96001165 96001166 96001167
b F base_film bp_film 98000035 98000036 98000037 98000038
b P base_ms bp_ms 96001164 96001165 96001166 96001167
