# The twelfth row's processed reading (added after queue.sh, before these scans): the same digital
# seeds 96001168-71 given a vendor's multi-frequency enhancement (--presentation-processing
# multiscale), scanned by the shipped detector (snapshot of the commit that adds this file)
PY=/work/main/.venv/bin/python; S=/work/scratch/s29; SN=$S/snap
cd $S; mkdir -p fresh
m() { out=$1; shift; PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py $out --n 200 --no-reference --workers 2 "$@" > $out.log 2>&1; }
for s in 96001168 96001169 96001170 96001171; do
  m fresh/ms_$s --seed $s --preset mix --presentation-processing multiscale
  rm -f fresh/ms_$s/phantoms/*.dcm
done
echo done > MS_DONE
