# Pixel sizes the models were never trained at (thirty-first session): the shipped detector (a snapshot of
# 9fcb47f) on a fresh digital mix set (96001172) at its own pixels and area-averaged to 0.12, 0.14, 0.15,
# 0.16 and 0.25 mm, and a fresh film-mix set (98000047) at its own pixels and at 0.15 mm. The training
# sets are at each preset's own pixels (0.05-0.1 mm) and at 0.2 mm; the fine model reads pixels finer
# than 0.15 mm, the coarse one 0.15 mm and coarser. A measurement, not a rule: nothing is chosen on it.
PY=/work/main/.venv/bin/python; S=/work/scratch/s31; SN=$S/snap
cd $S; mkdir -p sweep
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
m sweep/dig --seed 96001172 --preset mix
for mm in 0.12 0.14 0.15 0.16 0.25; do
  reuse sweep/dig_$mm $S/sweep/dig/phantoms --seed 96001172 --preset mix --resample-mm $mm
done
m sweep/film --seed 98000047 --preset film-mix
reuse sweep/film_0.15 $S/sweep/film/phantoms --seed 98000047 --preset film-mix --resample-mm 0.15
echo done > SWEEP_DONE
