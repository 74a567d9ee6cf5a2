import pandas as pd
for s in ["base_film_98000017","base_film_98000018"]:
    ev=pd.read_csv(f"{s}/evaluation/images.csv"); sc=pd.read_csv(f"{s}/scan/images.csv")
    cl=pd.read_csv(f"{s}/scan/clusters.csv"); cm=pd.read_csv(f"{s}/evaluation/cluster_matches.csv")
    f=ev[(~ev.has_cluster)&(ev.flag)]
    print(s, len(ev), "normals",(~ev.has_cluster).sum(), "flagged",len(f))
    print(ev.groupby(['preset','has_cluster']).flag.agg(['sum','count']))
    for _,r in f.iterrows():
        p=sc[sc.sop_instance_uid==r.sop_instance_uid].iloc[0]
        c=cl[(cl.sop_instance_uid==r.sop_instance_uid)&(cl.score>=r.threshold)]
        m=cm[cm.sop_instance_uid==r.sop_instance_uid]
        print(p.path.split('/')[-1], r.preset, r.density, r.rows,r.cols,r.spacing_row_mm, round(r.score,3), r.threshold, r.distractor_kinds)
        for _,x in c.iterrows():
            mm=m[m.cluster_id==x.cluster_id]
            print("   cl",x.cluster_id,x.n_calcifications,round(x.row),round(x.col),x.row_min,x.col_min,x.row_max,x.col_max,x.area_mm2,round(x.score,3), mm.distractor_kind.values)
