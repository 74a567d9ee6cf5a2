# rule v10: the fresh readings, shipped against C2
cd /work/scratch/s21/fresh; PY=/work/main/.venv/bin/python; M=/work/main/docs/measurements
export PYTHONPATH=/work/scratch/s21/snap/src
$PY $M/2026-12-02/cluster_model_pooled/boot.py D02 base_dig02_96001151,base_dig02_96001152 c2_dig02_96001151,c2_dig02_96001152 0.222871 0.848763 0.222871 0.82214
$PY $M/2026-12-02/cluster_model_pooled/boot.py F base_film_98000025,base_film_98000026 c2_film_98000025,c2_film_98000026 0.222871 0.848763 0.222871 0.82214
