# the four film development sets scanned by the shipped detector (HEAD 3556bd9), for the film operating point
PY=/work/main/.venv/bin/python; S=/work/scratch/s30; SN=$S/snap
cd $S; mkdir -p dev
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 --config $S/cfg_dev.json "$@" > $out.log 2>&1; }
for s in 98000002 98100001 98100002 98100003; do m dev/film_$s --seed $s --preset film-mix; rm -f dev/film_$s/phantoms/*.dcm; done
echo done > DEV_DONE
