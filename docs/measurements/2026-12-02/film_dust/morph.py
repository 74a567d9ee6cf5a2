"""Visible clusters of the fresh digital sets 96001143-96001148 (the shipped detector's scans):
found at the flag, by morphology and preset. usage: morph.py SCAN_DIR..."""
import sys, pandas as pd
rows = []
for d in sys.argv[1:]:
    tc = pd.read_csv(d + '/evaluation/truth_clusters.csv')
    tc = tc[tc.visibility == 'visible'].copy(); tc['set'] = d.rsplit('_', 1)[-1]; rows.append(tc)
v = pd.concat(rows)
v['at_flag'] = v.detected_at_operating_point.astype(bool)
t = v.pivot_table(index='morphology', columns='preset', values='at_flag', aggfunc=['sum', 'count'])
out = pd.DataFrame({p: [f"{int(t[('sum', p)][m])}/{int(t[('count', p)][m])}" if pd.notna(t[('count', p)][m]) else '' for m in t.index]
                    for p in v.preset.unique()}, index=t.index)
print(out.to_string())
print('\nall presets:', v.groupby('morphology').at_flag.agg(['sum', 'count']).to_string())
fl = v[v.morphology == 'fine_linear_branching']
print('\nfine linear branching found at the flag by third-member d\' band:')
print(fl.groupby(pd.cut(fl.third_d_prime, [6, 7, 8, 10, 100], right=False)).at_flag.agg(['sum', 'count']).to_string())
