import json, numpy as np, pandas as pd, pydicom
T="/work/scratch/s17/test"; O="/work/scratch/s17/fpfilm"
def seg_dist(p, path):
    path=np.asarray(path,float); best=np.inf
    for a,b in zip(path[:-1],path[1:]):
        ab=b-a; t=np.clip(((p-a)@ab)/max(ab@ab,1e-9),0,1); best=min(best,np.linalg.norm(p-(a+t*ab)))
    return best
rows=[]
for s,tag in [("base_film_98000017","s17"),("base_film_98000018","s18")]:
    ev=pd.read_csv(f"{T}/{s}/evaluation/images.csv"); sc=pd.read_csv(f"{T}/{s}/scan/images.csv")
    cl=pd.read_csv(f"{T}/{s}/scan/clusters.csv"); ca=pd.read_csv(f"{T}/{s}/scan/calcifications.csv")
    nor=ev[~ev.has_cluster]
    for _,e in nor.iterrows():
        p=sc[sc.sop_instance_uid==e.sop_instance_uid].iloc[0]; name=p.path.split('/')[-1][:-4]
        cc=cl[cl.sop_instance_uid==e.sop_instance_uid]
        if cc.empty: continue
        truth=json.load(open(f"{T}/{s}/phantoms/{name}.truth.json")); sp=p.spacing_mm
        D=truth['distractors']
        specks=[d for d in D if d['kind'] in('dust',)]; singles=[d for d in D if d['kind']=='single_speck']
        scr=[d for d in D if d['kind']=='scratch']; trk=[d for d in D if d['kind']=='vascular_track']
        oth=[d for d in D if d['kind'] in ('coarse_benign','marker','skin','film_label')]
        px=None
        if e.preset=='film-mias-like': px=pydicom.dcmread(p.path).pixel_array
        for _,c in cc.iterrows():
            mem=ca[(ca.sop_instance_uid==e.sop_instance_uid)&(ca.cluster_id==c.cluster_id)]
            M=mem[['row','col']].values.astype(float); n=len(M)
            tol=max(0.3/sp,1.5)
            def near(lst): return int(sum(any(np.hypot(d['row']-m[0],d['col']-m[1])<=tol+0.5*d.get('diameter_mm',0)/sp for d in lst) for m in M))
            nd=near(specks); ns=near(singles)
            nscr=int(sum(any(seg_dist(m,d['path_rc'])<=max(0.5/sp,2) for d in scr if 'path_rc' in d) for m in M))
            ntrk=int(sum(any(d['bbox'][0]-2<=m[0]<=d['bbox'][2]+2 and d['bbox'][1]-2<=m[1]<=d['bbox'][3]+2 for d in trk) for m in M))
            noth=int(sum(any(d['bbox'][0]-tol<=m[0]<=d['bbox'][2]+tol and d['bbox'][1]-tol<=m[1]<=d['bbox'][3]+tol for d in oth) for m in M))
            clip=np.nan
            if px is not None:
                h=int(3/sp); r,c0=int(c.row),int(c.col)
                w=px[max(r-h,0):r+h,max(c0-h,0):c0+h]; clip=float((w==0).mean())
            hi=mem.probability.values
            if nd>=2: k='dust'
            elif nscr>=2 or (nscr>=1 and n<=3): k='scratch/hair'
            elif ns>=1 and nd+ns>=2: k='dust+speck'
            elif ntrk>=2: k='vascular_track(bbox)'
            elif noth>=2: k='other distractor'
            elif px is not None and clip>0.05: k='texture at clipped edge'
            elif nd==1 or ns==1: k='1 speck + texture'
            else: k='texture/noise'
            rows.append(dict(set=tag,image=name,preset=e.preset,thr=e.threshold,cluster=c.cluster_id,n=n,score=c.score,ratio=c.score/e.threshold,
                             flagged=c.score>=e.threshold,n_dust=nd,n_single=ns,n_scratch=nscr,n_track=ntrk,n_other=noth,clip_frac=clip,
                             max_p=hi.max(),n_p50=int((hi>=0.5).sum()),kind=k))
df=pd.DataFrame(rows); df.to_csv(f"{O}/normals_all_clusters.csv",index=False)
pd.set_option('display.width',250)
print(df[df.flagged][['set','image','preset','cluster','n','score','n_dust','n_single','n_scratch','n_track','clip_frac','kind']].to_string())
print("\nall clusters on normals by kind x preset (count)"); print(pd.crosstab(df.kind,df.preset,margins=True))
df['half']=df.ratio>=0.5
print("\nclusters with score >= 0.5*thr"); print(pd.crosstab(df[df.half].kind,df[df.half].preset,margins=True))
print("\nflagged"); print(pd.crosstab(df[df.flagged].kind,df[df.flagged].preset,margins=True))
g=df.groupby('kind').agg(n=('score','size'),imgs=('image',lambda x: x.nunique()),med_ratio=('ratio','median'),max_ratio=('ratio','max'),flag=('flagged','sum'))
print(g)
# per image max-cluster kind
im=df.sort_values('ratio',ascending=False).groupby(['set','image']).head(1)
print("\ntop cluster per normal image, ratio>=0.5:"); print(pd.crosstab(im[im.ratio>=0.5].kind, im[im.ratio>=0.5].preset, margins=True))
