# Fresh film sets for the film operating point (declared in README.md before they were scanned):
# the commit that adds this file (a snapshot of it), film-mix seeds never used before
PY=/work/main/.venv/bin/python; S=/work/scratch/s30; SN=$S/snap2
cd $S; mkdir -p fresh
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
for s in 98000043 98000044 98000045 98000046; do
  m fresh/film_$s --seed $s --preset film-mix
  rm -f fresh/film_$s/phantoms/*.dcm  # disk: only the truth and the scans are read afterwards
done
echo done > FRESH_DONE
