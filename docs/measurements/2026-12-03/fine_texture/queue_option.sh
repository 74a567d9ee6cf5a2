# After the screen: the plain set at 0.2 mm (the sweep scanned it at 0.12-0.25 but not 0.2), to pair
# with the fine-texture set's 0.2 mm scan (queue.sh). Snapshot of ecad9e3 (9fcb47f's detector; the
# generator gained the option).
PY=/work/main/.venv/bin/python; S=/work/scratch/s31
cd $S; while [ ! -e SCREEN_DONE ]; do sleep 30; done
m() { out=$1; shift; PYTHONPATH=$S/snap2/src $PY $S/snap2/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
reuse sweep/dig_0.2 $S/sweep/dig/phantoms --seed 96001172 --preset mix --resample-mm 0.2
echo done > OPTION_DONE
