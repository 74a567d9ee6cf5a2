# The twelfth fresh row: the shipped detector (a snapshot of the commit that adds this file, with
# the pooled thresholds) on fresh digital mix 96001168-71 (own pixels and 0.2 mm) and film-mix
# 98000039-42
PY=/work/main/.venv/bin/python; S=/work/scratch/s29; SN=$S/snap
cd $S; mkdir -p fresh
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
for s in 98000039 98000040 98000041 98000042; do
  m fresh/film_$s --seed $s --preset film-mix
  rm -f fresh/film_$s/phantoms/*.dcm  # disk: only the truth and the scans are read afterwards
done
for s in 96001168 96001169 96001170 96001171; do
  m fresh/dig_$s --seed $s --preset mix
  reuse fresh/dig02_$s $S/fresh/dig_$s/phantoms --seed $s --preset mix --resample-mm 0.2
  rm -f fresh/dig_$s/phantoms/*.dcm
done
echo done > DONE
