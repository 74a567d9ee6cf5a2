# The README's fourteenth fresh row (the shipped detector on sets never used): 96001173 at 0.2 mm (its own
# pixels in ../fine_texture/queue_second.sh) and a second film set, 98000048, beside 96001172 and 98000047
# of queue.sh. Snapshot of ecad9e3 (9fcb47f's detector).
PY=/work/main/.venv/bin/python; S=/work/scratch/s31
cd $S; while [ ! -e SECOND_DONE ]; do sleep 30; done
m() { out=$1; shift; PYTHONPATH=$S/snap2/src $PY $S/snap2/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
reuse sweep/dig_96001173_0.2 $S/sweep/dig_96001173/phantoms --seed 96001173 --preset mix --resample-mm 0.2
m sweep/film_98000048 --seed 98000048 --preset film-mix
echo done > ROW14_DONE
