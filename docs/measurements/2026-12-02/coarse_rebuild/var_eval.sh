# variance study (no adoption): each model against the shipped coarse model at 0.2 mm, development set and the used sixth digital pair
cd /work/scratch/s21; PY=/work/main/.venv/bin/python; B=/work/main/docs/measurements/2026-12-02/cluster_model_pooled/boot.py
export PYTHONPATH=/work/scratch/s21/snap/src
for m in c2 c2_s1 c2_s2 c2_s3 mean4; do
  case $m in c2) dev=dev/c2_dig02; f=fresh/c2_dig02_96001151,fresh/c2_dig02_96001152;; *) dev=var/${m}_dev; f=var/${m}_f51,var/${m}_f52;; esac
  echo "== $m"
  $PY $B DEV02 /work/scratch/s20/dev/dig02 $dev 0.222871 0.848763 0.222871 0.848763 | grep -E "v1|pfroc|auc|gained"
  $PY $B SIX02 fresh/base_dig02_96001151,fresh/base_dig02_96001152 $f 0.222871 0.848763 0.222871 0.848763 | grep -E "v1|pfroc|auc|gained"
done
echo "== shipped"
$PY $B DEV02 /work/scratch/s20/dev/dig02 /work/scratch/s20/dev/dig02 0.222871 0.848763 0.222871 0.848763 | sed -n 2p
$PY $B SIX02 fresh/base_dig02_96001151,fresh/base_dig02_96001152 fresh/base_dig02_96001151,fresh/base_dig02_96001152 0.222871 0.848763 0.222871 0.848763 | sed -n 2p
