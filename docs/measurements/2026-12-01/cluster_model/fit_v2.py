import sys, json, dataclasses, pandas as pd
from calcdetect.learning.clusters import ClusterRecipe, train_cluster_model
from calcdetect.evaluation.froc import roc_auc
frame = pd.read_csv('/work/scratch/s15/cluster_table2.csv')
recipe = dataclasses.replace(ClusterRecipe(), set_seeds=tuple(range(31012, 31021)))
meta = train_cluster_model(frame, recipe, sys.argv[1])
for p, v in meta['validation']['leave_one_preset_out'].items():
    g = frame[frame.preset == p]
    print(p, v, 'top3-sum', round(roc_auc(g.p_top3_sum.to_numpy(), g.label.to_numpy()), 4))
print(meta['training']['in_sample'])
