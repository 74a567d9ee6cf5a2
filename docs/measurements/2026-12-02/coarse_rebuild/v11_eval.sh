# rule v11: the fresh readings, shipped against E4 (threshold 0.834436)
cd /work/scratch/s21/v11; PY=/work/main/.venv/bin/python; M=/work/main/docs/measurements
export PYTHONPATH=/work/scratch/s21/snap/src
$PY $M/2026-12-02/cluster_model_pooled/boot.py D02 base_dig02_96001153,base_dig02_96001154 e4_dig02_96001153,e4_dig02_96001154 0.222871 0.848763 0.222871 0.834436
$PY $M/2026-12-02/cluster_model_pooled/boot.py F base_film_98000027,base_film_98000028 e4_film_98000027,e4_film_98000028 0.222871 0.848763 0.222871 0.834436
