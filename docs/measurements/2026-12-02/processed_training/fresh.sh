# rule v13's fresh readings (scratch scans of /work/scratch/s24/fresh, queue.sh)
cd /work/scratch/s24/fresh; PY=/work/main/.venv/bin/python; H=/work/main/docs/measurements/2026-12-02/processed_training
T="0.222871 0.848763 0.350439 0.891318"
b() { PYTHONPATH=/work/main/src $PY $H/../cluster_model_pooled/boot.py $1 $2_$4,$2_$5 $3_$4,$3_$5 $T; }
b D base_dig pt_dig 96001158 96001159
b D02 base_dig02 pt_dig02 96001158 96001159
b F base_film pt_film 98000029 98000030
b P base_ms pt_ms 96001158 96001159
