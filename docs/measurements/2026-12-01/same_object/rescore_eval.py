"""An evaluation folder with new cluster scores: the original matches (status, truth cluster) kept."""
import sys, os, pandas as pd
src, clfdir, dst = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(dst + '/evaluation', exist_ok=True)
new = pd.read_csv(f'{clfdir}/scan/clusters.csv')[['sop_instance_uid', 'cluster_id', 'score']]
cm = pd.read_csv(f'{src}/evaluation/cluster_matches.csv').drop(columns='score').merge(new, on=['sop_instance_uid', 'cluster_id'], how='left')
cm['score'] = cm.score.fillna(0.0); cm.to_csv(f'{dst}/evaluation/cluster_matches.csv', index=False)
tc = pd.read_csv(f'{src}/evaluation/truth_clusters.csv')
best = cm[cm.status == 'tp'].groupby(['sop_instance_uid', 'truth_cluster_id']).score.max()
tc['matched_score'] = [best.get((u, c), float('nan')) for u, c in zip(tc.sop_instance_uid, tc.cluster_id)]
tc.to_csv(f'{dst}/evaluation/truth_clusters.csv', index=False)
im = pd.read_csv(f'{src}/evaluation/images.csv')
im['score'] = im.sop_instance_uid.map(cm.groupby('sop_instance_uid').score.max()).fillna(0.0)
im.to_csv(f'{dst}/evaluation/images.csv', index=False)
