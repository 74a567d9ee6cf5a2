# variance study, full-size model: each seed against the shipped fp_model at full size, used sixth digital pair
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled/boot.py
export PYTHONPATH=/work/scratch/s21/snap/src
F=/work/scratch/s20/fresh9
for m in fine_s1 fine_s2; do
  echo "== $m"
  $PY $B SIX $F/base_dig_96001151,$F/base_dig_96001152 var/${m}_dig_96001151,var/${m}_dig_96001152 0.222871 0.848763 0.222871 0.848763 | grep -E "shipped|v1|pfroc|auc|found|gained"
done
