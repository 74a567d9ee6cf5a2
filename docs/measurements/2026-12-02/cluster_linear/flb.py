"""Visible clusters found at the flag, by morphology: DIR..."""
import sys, pandas as pd
for d in sys.argv[1:]:
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv'); v = tc[tc.visibility == 'visible']
    g = v.groupby('morphology').detected_at_operating_point.agg(['sum', 'size'])
    print(d, ' '.join(f"{m}:{int(r['sum'])}/{int(r['size'])}" for m, r in g.iterrows()))
