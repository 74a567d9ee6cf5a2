# rule v13's development gate and PT's thresholds (scratch scans of /work/scratch/s24/dev; shipped scans of steps 20 and 21)
cd /work/scratch/s24; PY=/work/main/.venv/bin/python; H=/work/main/docs/measurements/2026-12-02/processed_training
D=/work/scratch/s20/dev; M=/work/scratch/s23/proc/multiscale_final
PYTHONPATH=/work/main/src $PY $H/../../2026-12-01/spot_pair/cmp.py $D/base_p_dig dev/pt_dig $D/base_p_dig02 dev/pt_dig02 $D/base_p_film dev/pt_film $M dev/pt_ms
echo "# thresholds by the shipped rule (fine: digital + film ddsm|16bit; coarse: digital at 0.2 mm + film mias)"
PYTHONPATH=/work/main/src $PY $H/../../2026-12-01/cluster_model/thr_preset.py dev/pt_dig dev/pt_film:ddsm\|16bit dev/pt_dig02 dev/pt_film:mias
echo "# the same rule on the shipped scans (must give 0.222871 / 0.848763)"
PYTHONPATH=/work/main/src $PY $H/../../2026-12-01/cluster_model/thr_preset.py $D/base_p_dig $D/base_p_film:ddsm\|16bit $D/base_p_dig02 $D/base_p_film:mias
