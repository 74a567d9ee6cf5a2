import sys, pandas as pd
d=sys.argv[1]; thr=float(sys.argv[2]); thr_c=float(sys.argv[3])
cm=pd.read_csv(d+'/evaluation/cluster_matches.csv'); im=pd.read_csv(d+'/evaluation/images.csv')
im['thr']=[thr_c if s>0.15 else thr for s in im.spacing_row_mm]
cm=cm.merge(im[['sop_instance_uid','preset','has_cluster','patient_id','thr']],on='sop_instance_uid')
fp=cm[(cm.status!='tp')&(cm.score>=cm.thr)]
print(fp.groupby(['preset',fp.distractor_kind.fillna('-')]).size())
fl=fp[~fp.has_cluster.astype(bool)].groupby('patient_id').agg(n=('score','size'),top=('score','max'),kinds=('distractor_kind',lambda s:';'.join(s.fillna('-'))),preset=('preset','first'))
print(fl.sort_values('preset').to_string())
