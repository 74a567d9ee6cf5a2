"""Summary of proto_line.py's run (sigma across 0.05 mm, along 0.2 mm; fresh digital pair 96001143 + 96001144)
joined with fate.py's member fates: line_prototype.txt."""
import pandas as pd
pd.set_option('display.width', 200)
z = pd.read_csv('line_05_20.csv'); f = pd.read_csv('fate_dig.csv')
m = f.merge(z[['set', 'image', 'd_prime', 'z_line']], on=['set', 'image', 'd_prime'], how='left')
v = m[(m.visibility == 'visible') & (m.d_prime >= 6)]
g = v[v['shape'] == 'linear']
print("linear members of visible clusters, d' >= 6: the line response's z (max within the match tolerance), by fate")
print(g.groupby('fate').z_line.describe().round(2).to_string())
per = z.drop_duplicates(['set', 'image'])
print("\n3x3 maxima of the line response's z in the search region, per image (400 images)")
print(per.filter(like='n_peaks').describe().round(0).to_string())
print("\nfraction of linear members (d' >= 6) with z_line >= t")
for t in (4, 5, 6, 7):
    parts = [(n, s) for n, s in (('no candidate', g[g.fate == 'no_candidate']), ('under accept_probability', g[g.fate == 'low_p']),
                                  ('accepted', g[g.fate.str.startswith('accepted')]))]
    print(f"t={t}: " + ", ".join(f"{n} {(s.z_line >= t).mean():.2f} of {len(s)}" for n, s in parts),
          f"| median peaks per image {per[f'n_peaks_{t}'].median():.0f}")
