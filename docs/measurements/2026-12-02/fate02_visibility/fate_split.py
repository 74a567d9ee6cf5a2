"""Members of visible clusters at 0.2 mm by fate, split by whether they stay visible once area-averaged
(d' >= 6 at the phantom's own pixels against d' >= 6 at 0.2 mm, the truth's d_prime_0.2mm).
usage: fate_split.py FATE.csv (written by fate02b.py)"""
import sys
import pandas as pd

pd.set_option("display.width", 200)
df = pd.read_csv(sys.argv[1])
groups = [("d' >= 6 at its own pixels", df.d_prime >= 6),
          ("d' >= 6 at 0.2 mm too", df.d_prime_02 >= 6),
          ("d' >= 6 at its own pixels, < 6 at 0.2 mm", (df.d_prime >= 6) & (df.d_prime_02 < 6))]
for label, sel in groups:
    b = df[sel]
    print(f"{label}: {len(b)} members")
    print(b.fate.value_counts().to_string(), "\n")
b = df[df.d_prime_02 >= 6]
print("still visible at 0.2 mm, by morphology and fate")
print(pd.crosstab(b.morphology, b.fate, margins=True).to_string(), "\n")
print("still visible at 0.2 mm, no candidate: size, d', distance to the nearest candidate (pixels; tolerance 2.5)")
print(b[b.fate == "no_candidate"][["diameter_mm", "d_prime", "d_prime_02", "dist_px"]].describe().round(2).to_string())
