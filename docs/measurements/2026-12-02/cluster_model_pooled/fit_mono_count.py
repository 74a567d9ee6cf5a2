"""Exploratory (development only): v1's recipe and table with the member count also monotone increasing."""
import sys, json, pandas as pd
import calcdetect.learning.clusters as L
inc = L.INCREASING + ("log_count",)
recipe = L.ClusterRecipe()
recipe.params["monotone_constraints"] = [int(n in inc) for n in L.CLUSTER_FEATURE_NAMES]
frame = pd.read_csv('/work/scratch/s15/cluster_table.csv')
meta = L.train_cluster_model(frame, recipe, sys.argv[1])
print({k: v['auc'] for k, v in meta['validation']['leave_one_preset_out'].items()})
