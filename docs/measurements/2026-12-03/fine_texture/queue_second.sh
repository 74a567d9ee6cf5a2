# A second seed, plain and with the fine texture (the package option, `--fine-texture`: the construction of hf_texture.py with its own random stream), at the detector's own pixels only,
# to put the first pair's difference on 400 images. Same snapshot (ecad9e3).
PY=/work/main/.venv/bin/python; S=/work/scratch/s31
cd $S; while [ ! -e OPTION_DONE ]; do sleep 30; done
m() { out=$1; shift; PYTHONPATH=$S/snap2/src $PY $S/snap2/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
m sweep/dig_96001173 --seed 96001173 --preset mix
m ft/dig_96001173 --seed 96001173 --preset mix --fine-texture
echo done > SECOND_DONE
