# rule v12: the shipped detector and E4 on the same fresh phantoms, one code snapshot (8d22e34)
cd /work/scratch/s22; PY=/work/main/.venv/bin/python; SN=/work/scratch/s22/snap
CFG=/work/main/docs/measurements/2026-12-02/coarse_rebuild/cfg_e4_v12.json
run() { PYTHONPATH=$SN/src $PY $SN/scripts/measure_detection.py "$@" --n 200 --no-reference --workers 2; }
for s in 96001155 96001156 96001157 96001158 96001159 96001160 96001161 96001162; do
  run v12/base_dig02_$s --seed $s --preset mix --resample-mm 0.2 > v12/base_dig02_$s.log 2>&1
  out=v12/e4_dig02_$s; mkdir -p $out; ln -sfn /work/scratch/s22/v12/base_dig02_$s/phantoms $out/phantoms
  run $out --seed $s --preset mix --resample-mm 0.2 --reuse-phantoms --config $CFG > $out.log 2>&1
done
for s in 98000029 98000030; do
  run v12/base_film_$s --seed $s --preset film-mix > v12/base_film_$s.log 2>&1
  out=v12/e4_film_$s; mkdir -p $out; ln -sfn /work/scratch/s22/v12/base_film_$s/phantoms $out/phantoms
  run $out --seed $s --preset film-mix --reuse-phantoms --config $CFG > $out.log 2>&1
done
echo done > v12/DONE
