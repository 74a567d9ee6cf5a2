# fate02b.py is ../coarse_rebuild/fate02.py with the truth's d' at 0.2 mm written beside the own-pixel d'
# (made and run like this in the twenty-first session; the shipped detector at 8d22e34 in /work/scratch/s22/snap)
sed "s/d_prime=t\['d_prime'\], /d_prime=t['d_prime'], d_prime_02=t.get('d_prime_0.2mm', np.nan), /" \
    ../coarse_rebuild/fate02.py > /tmp/fate02b.py
PYTHONPATH=/work/scratch/s22/snap/src python /tmp/fate02b.py fate_dev02.csv /work/scratch/s20/dev/ph_dig
python fate_split.py fate_dev02.csv > fate_split.txt
