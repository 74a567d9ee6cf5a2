"""v12: the cluster model recipe of v1 trained on the v1 and v2 tables together (seeds 31003-31020)."""
import sys, json, dataclasses, pandas as pd
from calcdetect.learning.clusters import ClusterRecipe, train_cluster_model
from calcdetect.evaluation.froc import roc_auc
frame = pd.concat([pd.read_csv('/work/scratch/s15/cluster_table.csv'), pd.read_csv('/work/scratch/s15/cluster_table2.csv')],
                  ignore_index=True)
recipe = dataclasses.replace(ClusterRecipe(), set_seeds=tuple(range(31003, 31021)),
                             set_presets=("mix",) * 7 + ("film-mix",) * 2 + ("mix",) * 7 + ("film-mix",) * 2)
meta = train_cluster_model(frame, recipe, sys.argv[1])
for p, v in meta['validation']['leave_one_preset_out'].items():
    g = frame[frame.preset == p]
    print(p, v, 'top3-sum', round(roc_auc(g.p_top3_sum.to_numpy(), g.label.to_numpy()), 4))
print(meta['training']['in_sample'])
