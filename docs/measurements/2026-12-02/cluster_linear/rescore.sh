# rescore one scan with the shipped cluster model (base) and LIN, evaluate both.  usage: rescore.sh SRC_DIR TAG LIN_THR LIN_THR_COARSE
S=/work/scratch/s20; PY=/work/main/.venv/bin/python; M=/work/main/docs/measurements/2026-12-02/cluster_linear
export PYTHONPATH=$S/snap2/src
src=$1; tag=$2; name=$(basename $src); parent=$(dirname $src)
truth=$src/phantoms
case $name in dig02*) $PY $M/../cluster_model_v12/truth02.py $src/phantoms $src/scan $parent/truth_$name > /dev/null; truth=$parent/truth_$name;; esac
for v in base lin; do
  out=$parent/${v}_${tag}_$name; rm -rf $out
  if [ $v = base ]; then $PY $M/recluster4.py $src $out "" 0.222871 0.848763
  else $PY $M/recluster4.py $src $out $S/cm/cm_lin $3 $4; fi
  $PY -m calcdetect.cli evaluate $out/scan --truth $truth -o $out/evaluation > $out.log 2>&1 || echo "evaluate failed: $out"
done
