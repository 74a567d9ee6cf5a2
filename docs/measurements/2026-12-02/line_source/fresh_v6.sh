# rule v6: D and F from the scans, D02 by rescoring the shipped 0.2 mm scans with L5's cluster model; boot.py on the pooled readings
T=/work/scratch/s18/test; PY=/work/main/.venv/bin/python; M=/work/main/docs/measurements/2026-12-02
B=$M/cluster_model_pooled/boot.py; R=$M/cluster_model_v12/recluster3.py; TR=$M/cluster_model_v12/truth02.py
for seed in 96001145 96001146; do
  $PY $TR $T/base_dig_$seed/phantoms $T/base_dig02_$seed/scan $T/truth_dig02_$seed
  PYTHONPATH=/work/scratch/s18/snap/src $PY $R $T/base_dig02_$seed $T/l5_dig02_$seed /work/scratch/s18/cm_line5 0.515438 0.80408
  /work/main/.venv/bin/calcdetect evaluate $T/l5_dig02_$seed/scan --truth $T/truth_dig02_$seed -o $T/l5_dig02_$seed/evaluation > $T/l5_dig02_$seed.log 2>&1
done
for r in "D dig_96001145 dig_96001146" "D02 dig02_96001145 dig02_96001146" "F film_98000019 film_98000020"; do
  set -- $r
  $PY $B $1 $T/base_$2,$T/base_$3 $T/l5_$2,$T/l5_$3 0.222871 0.848763 0.515438 0.80408
done
