# rule v15's fresh scans: the shipped detector generates and scans each set, then BP scans the same
# phantoms (cfg_bp_fresh.json, committed in 7119361 before this ran); code: a snapshot of ade52b4
PY=/work/main/.venv/bin/python; S=/work/scratch/s27; SN=$S/snap
C=/work/main/docs/measurements/2026-12-03/both_processed/cfg_bp_fresh.json
cd $S; mkdir -p fresh
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
for s in 96001162 96001163; do
  m fresh/base_dig_$s --seed $s --preset mix
  reuse fresh/bp_dig_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --config $C
  reuse fresh/base_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2
  reuse fresh/bp_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2 --config $C
  m fresh/base_ms_$s --seed $s --preset mix --presentation-processing multiscale
  reuse fresh/bp_ms_$s $S/fresh/base_ms_$s/phantoms --seed $s --preset mix --config $C
done
for s in 98000033 98000034; do
  m fresh/base_film_$s --seed $s --preset film-mix
  reuse fresh/bp_film_$s $S/fresh/base_film_$s/phantoms --seed $s --preset film-mix --config $C
done
echo done > DONE
