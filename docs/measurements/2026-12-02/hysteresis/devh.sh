# usage: devh.sh NAME THR THR_COARSE P_SEED P_WEAK MIN_SEEDS -> devh/NAME_{dig,fd2,dig02}
S=/work/scratch/s17/hyst; name=$1; shift
for d in dig:/work/scratch/dig/phantoms fd2:/work/scratch/s12/new_fd2/phantoms dig02:/work/scratch/s17/truth_dig02; do
  IFS=: read k ph <<< "$d"
  out=$S/devh/${name}_$k
  /work/main/.venv/bin/python $S/recluster_h.py $S/a001_$k $out "" "$@"
  /work/main/.venv/bin/calcdetect evaluate $out/scan --truth $ph -o $out/evaluation > $out.log 2>&1
done
