# rule v5: rescore the fresh base scans with v12 and run boot.py on the three pooled readings
S=/work/scratch/s17; T=$S/test; PY=/work/main/.venv/bin/python; B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled/boot.py
for k in dig_96001143 dig_96001144 film_98000017 film_98000018 dig02_96001143 dig02_96001144; do
  truth=$T/base_$k/phantoms
  case $k in dig02_*) seed=${k#dig02_}; $PY $S/truth02.py $T/base_dig_$seed/phantoms $T/base_$k/scan $S/truth_$k; truth=$S/truth_$k;; esac
  $PY $S/recluster3.py $T/base_$k $T/v12_$k $S/v12 0.189861 0.731813
  /work/main/.venv/bin/calcdetect evaluate $T/v12_$k/scan --truth $truth -o $T/v12_$k/evaluation > $T/v12_$k.log 2>&1
done
for r in "D dig_96001143 dig_96001144" "D02 dig02_96001143 dig02_96001144" "F film_98000017 film_98000018"; do
  set -- $r
  $PY $B $1 $T/base_$2,$T/base_$3 $T/v12_$2,$T/v12_$3 0.222871 0.848763 0.189861 0.731813
done
