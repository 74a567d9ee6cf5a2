# The candidate-level screen (screen_hf.py) after the resolution sweep's coarse-model scans.
PY=/work/main/.venv/bin/python; S=/work/scratch/s31; SN=$S/snap; H=/work/main/docs/measurements/2026-12-03/fine_texture
cd $S; while [ ! -e COARSE_DONE ]; do sleep 30; done
PYTHONPATH=$SN/src $PY $H/screen_hf.py $S/screen $S/sweep/dig/phantoms $S/hf/dig/phantoms > $S/screen_hf.txt 2> $S/screen_hf.err
echo done > SCREEN_DONE
