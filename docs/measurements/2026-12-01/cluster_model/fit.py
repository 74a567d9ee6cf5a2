import sys, pandas as pd, json
from calcdetect.learning.clusters import ClusterRecipe, train_cluster_model
frame = pd.read_csv('/work/scratch/s15/cluster_table.csv')
meta = train_cluster_model(frame, ClusterRecipe(), sys.argv[1])
print(json.dumps({k: meta[k] for k in ('training', 'validation', 'feature_importance_gain')}, indent=1)[:3000])
