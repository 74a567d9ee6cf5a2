# does the training table depend on the CPU's vector instructions? (twenty-sixth session, AMD EPYC with AVX-512)
H=/work/main/docs/measurements/2026-12-03/relative_screen; PY=/work/main/.venv/bin/python; export PYTHONPATH=/work/main/src
cd /work/scratch/s26/avx2
# phantoms and table with numpy's AVX-512 kernels off, and the model fitted from them
NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL" $PY $H/cpu_check.py /work/scratch/s26/avx2/ph > cpu_avx512_off.txt
# the model fitted from the table made with the machine's default kernels (the screen's train_table.pkl)
$PY $H/cpu_check.py /work/scratch/s26/screen/train_table.pkl > cpu_default.txt
$PY $H/cpu_pixels.py /work/scratch/train/ph /work/scratch/s26/avx2/ph > cpu_pixels.txt
