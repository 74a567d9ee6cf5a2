# usage: dev.sh NAME MODEL THR THR_COARSE  -> dev/NAME_{dig,fd2,dig02}
S=/work/scratch/s17; name=$1; model=$2; t=$3; tc=$4
for d in dig:/work/scratch/dig/phantoms fd2:/work/scratch/s12/new_fd2/phantoms dig02:/work/scratch/s17/truth_dig02; do
  IFS=: read k ph <<< "$d"
  out=$S/dev/${name}_$k
  /work/main/.venv/bin/python $S/recluster3.py /work/scratch/s16/def_$k $out "$model" $t $tc
  /work/main/.venv/bin/calcdetect evaluate $out/scan --truth $ph -o $out/evaluation > $out.log 2>&1
done
