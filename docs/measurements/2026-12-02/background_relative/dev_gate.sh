# rule v14's development gate and BR's thresholds (scratch scans of /work/scratch/s25/dev; shipped scans of steps 20 and 21)
cd /work/scratch/s25; PY=/work/main/.venv/bin/python; H=/work/main/docs/measurements/2026-12-02
D=/work/scratch/s20/dev; M=/work/scratch/s23/proc/multiscale_final
PYTHONPATH=/work/main/src $PY $H/../2026-12-01/spot_pair/cmp.py $D/base_p_dig dev/br_dig $D/base_p_dig02 dev/br_dig02 $D/base_p_film dev/br_film $M dev/br_ms
echo "# thresholds by the shipped rule (fine: digital + film ddsm|16bit; coarse: digital at 0.2 mm + film mias)"
PYTHONPATH=/work/main/src $PY $H/../2026-12-01/cluster_model/thr_preset.py dev/br_dig dev/br_film:ddsm\|16bit dev/br_dig02 dev/br_film:mias
