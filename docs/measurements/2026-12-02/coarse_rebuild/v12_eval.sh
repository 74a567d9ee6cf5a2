# rule v12: the fresh readings, shipped against E4 (threshold 0.834436)
cd /work/scratch/s22/v12; PY=/work/main/.venv/bin/python; M=/work/main/docs/measurements
export PYTHONPATH=/work/scratch/s22/snap/src
D=96001155,96001156,96001157,96001158,96001159,96001160,96001161,96001162
$PY $M/2026-12-02/cluster_model_pooled/boot.py D02 $(echo $D | sed 's/\([0-9]\+\)/base_dig02_\1/g') $(echo $D | sed 's/\([0-9]\+\)/e4_dig02_\1/g') 0.222871 0.848763 0.222871 0.834436
$PY $M/2026-12-02/cluster_model_pooled/boot.py F base_film_98000029,base_film_98000030 e4_film_98000029,e4_film_98000030 0.222871 0.848763 0.222871 0.834436
