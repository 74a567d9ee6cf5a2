# background scales by preset (twenty-sixth session): 16 film images per film preset at the film development seed, 10 per digital preset at the digital one, all with a cluster
H=/work/main/docs/measurements/2026-12-02/background_relative; CD=/work/main/.venv/bin/calcdetect
cd /work/scratch/s26
for p in film-16bit-like film-ddsm-like; do $CD phantoms ph_$p --n 16 --seed 98000002 --preset $p --positive-fraction 1 --workers 1; done
for p in hologic-like fuji-cr-like ge-like siemens-like; do $CD phantoms ph_$p --n 10 --seed 20261130 --preset $p --positive-fraction 1 --workers 1; done
PYTHONPATH=/work/main/src /work/main/.venv/bin/python $H/scales.py ph_* > scales.txt
