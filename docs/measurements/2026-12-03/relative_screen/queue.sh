# the screen's runs (twenty-sixth session, /work/scratch/s26): training phantoms and table of the shipped fp_model recipe,
# the development sets (digital 20261130 plain and multiscale, film 98000002: 16 film-16bit-like + 16 film-ddsm-like
# made by ../../2026-12-02/background_relative/scales.sh), the screen; then rule v13's two processed sets added
H=/work/main/docs/measurements/2026-12-03/relative_screen; PY=/work/main/.venv/bin/python; export PYTHONPATH=/work/main/src
cd /work/scratch/s26/screen
$PY $H/gen_train.py
/work/main/.venv/bin/calcdetect phantoms /work/scratch/s26/dev/plain --n 200 --seed 20261130 --preset mix --workers 2
$PY /work/main/scripts/measure_detection.py ../dev/ms --n 200 --seed 20261130 --preset mix --no-reference --workers 2 \
  --presentation-processing multiscale --config ../cfg_dev.json   # cfg_dev.json: the shipped configuration, calibration_seeds "dev-copy"
$PY $H/table.py
$PY $H/screen.py train_table.pkl ms=../dev/ms/phantoms plain=../dev/plain film=../ph_film-16bit-like,../ph_film-ddsm-like > screen.txt
$PY $H/pt_table.py
$PY $H/screen.py train_table.pkl,pt_new.pkl ms=../dev/ms/phantoms plain=../dev/plain film=x > screen_pt.txt
# skin distance of the processed development set's clusters (shipped detector's scan)
cd ../dev/ms && $PY $H/skin_dist.py . > skin_dist.txt
