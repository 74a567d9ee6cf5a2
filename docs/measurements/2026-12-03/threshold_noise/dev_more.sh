# Three more development sets per reading for the operating-point rule (seeds declared development
# here, before they were scanned: digital mix 20261202-04 at their own pixels and at 0.2 mm, film-mix
# 98100001-03), scanned by the shipped detector; code: the commit that adds this file
PY=/work/main/.venv/bin/python; S=/work/scratch/s28; SN=$S/snap
cd $S; mkdir -p dev
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
for s in 98100001 98100002 98100003; do m dev/film_$s --seed $s --preset film-mix; rm -f dev/film_$s/phantoms/*.dcm; done
for s in 20261202 20261203 20261204; do
  m dev/dig_$s --seed $s --preset mix
  mkdir -p dev/dig02_$s; ln -sfn $S/dev/dig_$s/phantoms dev/dig02_$s/phantoms
  m dev/dig02_$s --reuse-phantoms --seed $s --preset mix --resample-mm 0.2
  rm -f dev/dig_$s/phantoms/*.dcm
done
echo done > DEV_DONE
