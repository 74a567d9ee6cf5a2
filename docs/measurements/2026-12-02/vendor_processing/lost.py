import sys, pandas as pd
b, v = sys.argv[1], sys.argv[2]
tb = pd.read_csv(f"{b}/evaluation/truth_clusters.csv"); tv = pd.read_csv(f"{v}/evaluation/truth_clusters.csv")
m = tb.merge(tv[["sop_instance_uid","cluster_id","matched_score","detected_at_operating_point"]], on=["sop_instance_uid","cluster_id"], suffixes=("_b","_v"))
m = m[m.visibility=="visible"]
ch = m[m.detected_at_operating_point_b != m.detected_at_operating_point_v]
print(ch[["sop_instance_uid","preset","morphology","n_calcifications","third_d_prime","matched_score_b","matched_score_v"]].to_string())
ib = pd.read_csv(f"{b}/evaluation/images.csv"); iv = pd.read_csv(f"{v}/evaluation/images.csv")
n = ib.merge(iv[["sop_instance_uid","score","flag"]], on="sop_instance_uid", suffixes=("_b","_v"))
n = n[~n.has_cluster & (n.flag_b != n.flag_v)]
print(n[["sop_instance_uid","patient_id","preset","score_b","score_v"]].to_string())
# rejection reasons overall
cb = pd.read_csv(f"{b}/scan/calcifications.csv"); cv = pd.read_csv(f"{v}/scan/calcifications.csv")
for name, c in (("base", cb), ("proc", cv)):
    print(name, len(c), c.get("rejected", pd.Series(dtype=str)).fillna("kept").value_counts().to_dict())
