# The fine-texture experiment (thirty-first session): the fresh digital mix set 96001172 made again with the
# breast texture continued above the anatomy grid's Nyquist (hf_texture.py), scanned by the shipped detector
# (a snapshot of 9fcb47f) at its own pixels and at 0.2 mm; the plain set is the resolution sweep's
# (../resolution_sweep/queue.sh). A measurement of the phantoms' realism, not a rule.
PY=/work/main/.venv/bin/python; S=/work/scratch/s31; SN=$S/snap; H=/work/main/docs/measurements/2026-12-03/fine_texture
cd $S; while [ ! -e SWEEP_DONE ]; do sleep 30; done
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
reuse() { out=$1; ph=$2; shift 2; mkdir -p $out; ln -sfn $ph $out/phantoms; m $out --reuse-phantoms "$@"; }
mkdir -p hf/dig
PYTHONPATH=$SN/src $PY $H/hf_texture.py hf/dig/phantoms --n 200 --seed 96001172 --preset mix --workers 2 > hf/gen.log 2>&1
m hf/dig --reuse-phantoms --seed 96001172 --preset mix
reuse hf/dig02 $S/hf/dig/phantoms --seed 96001172 --preset mix --resample-mm 0.2
echo done > HF_DONE
