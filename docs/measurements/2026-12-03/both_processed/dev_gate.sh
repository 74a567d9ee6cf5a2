# rule v15's development gate and BP's thresholds
cd /work/scratch/s26; PY=/work/main/.venv/bin/python; H=/work/main/docs/measurements
PYTHONPATH=/work/main/src $PY $H/2026-12-01/spot_pair/cmp.py dev/base_dig dev/bp_dig dev/base_dig02 dev/bp_dig02 dev/base_film dev/bp_film dev/ms dev/bp_ms
echo "# thresholds by the shipped rule (fine: digital + film ddsm|16bit; coarse: digital at 0.2 mm + film mias)"
PYTHONPATH=/work/main/src $PY $H/2026-12-01/cluster_model/thr_preset.py dev/bp_dig dev/bp_film:ddsm\|16bit dev/bp_dig02 dev/bp_film:mias
