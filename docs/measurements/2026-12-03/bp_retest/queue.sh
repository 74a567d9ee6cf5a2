# rule v16's fresh scans: the shipped detector generates and scans each set, then BP scans the same
# phantoms (../both_processed/cfg_bp_fresh.json, committed in 7119361); code: a snapshot of the
# commit that adds adoption_rule_v16.md
PY=/work/main/.venv/bin/python; S=/work/scratch/s28; SN=$S/snap
C=/work/main/docs/measurements/2026-12-03/both_processed/cfg_bp_fresh.json
cd $S; mkdir -p fresh
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
for s in 98000035 98000036 98000037 98000038; do
  m fresh/base_film_$s --seed $s --preset film-mix
  reuse fresh/bp_film_$s $S/fresh/base_film_$s/phantoms --seed $s --preset film-mix --config $C
  rm -f fresh/base_film_$s/phantoms/*.dcm  # disk: only the truth and the scans are read afterwards
done
for s in 96001164 96001165 96001166 96001167; do
  m fresh/base_dig_$s --seed $s --preset mix
  reuse fresh/bp_dig_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --config $C
  reuse fresh/base_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2
  reuse fresh/bp_dig02_$s $S/fresh/base_dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2 --config $C
  rm -f fresh/base_dig_$s/phantoms/*.dcm
  m fresh/base_ms_$s --seed $s --preset mix --presentation-processing multiscale
  reuse fresh/bp_ms_$s $S/fresh/base_ms_$s/phantoms --seed $s --preset mix --config $C
  rm -f fresh/base_ms_$s/phantoms/*.dcm
done
echo done > DONE
