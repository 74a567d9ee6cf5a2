import json, sys, numpy as np, pandas as pd, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle, Circle
from scipy.ndimage import gaussian_filter
from calcdetect.io import read_mammogram
T="/work/scratch/s17/test"; O="/work/scratch/s17/fpfilm"
COL={'dust':'yellow','single_speck':'orange','scratch':'cyan','scanner_line':'white','vascular_track':'lime',
     'film_label':'red','skin':'pink','vessel':'deepskyblue','coarse_benign':'gold','marker':'violet'}
rows=[]
for s,tag in [("base_film_98000017","s17"),("base_film_98000018","s18")]:
    im=pd.read_csv(f"{O}/scan/{tag}/images.csv"); cl=pd.read_csv(f"{O}/scan/{tag}/clusters.csv")
    ca=pd.read_csv(f"{O}/scan/{tag}/calcifications.csv"); ev=pd.read_csv(f"{T}/{s}/evaluation/images.csv")
    for _,r in im.iterrows():
        name=r.path.split('/')[-1].replace('.dcm','')
        truth=json.load(open(f"{T}/{s}/phantoms/{name}.truth.json"))
        e=ev[ev.sop_instance_uid==r.sop_instance_uid].iloc[0]
        m=read_mammogram(f"{T}/{s}/phantoms/{name}.dcm"); px=m.pixels.astype(np.float32); sp=r.spacing_mm
        cc=cl[(cl.sop_instance_uid==r.sop_instance_uid)&(cl.score>=r.threshold)]
        allc=ca[ca.sop_instance_uid==r.sop_instance_uid]
        for _,c in cc.iterrows():
            mem=allc[allc.cluster_id==c.cluster_id]
            rr,cc0=c.row,c.col
            ext=max(15.0, (c.row_max-c.row_min)*sp+4, (c.col_max-c.col_min)*sp+4)
            # member stats
            P=mem[['row','col']].values*sp
            spread=max(np.linalg.norm(P[:,None]-P[None],axis=2).max(),0)
            # distractors near members
            near=[]
            for d in truth['distractors']:
                b=d['bbox']; mg=1.0/sp
                hit=((mem.row>=b[0]-mg)&(mem.row<=b[2]+mg)&(mem.col>=b[1]-mg)&(mem.col<=b[3]+mg)).sum()
                if hit: near.append(f"{d['kind']}/{d.get('subkind')}:{hit}")
            rej=allc[allc.rejected.notna()]
            rejnear=rej[(abs(rej.row-rr)*sp<ext/2)&(abs(rej.col-cc0)*sp<ext/2)]
            rows.append(dict(set=tag,image=name,preset=e.preset,density=e.density,spacing=sp,score=round(c.score,3),thr=r.threshold,
                cluster=c.cluster_id,n=len(mem),probs=" ".join(f"{p:.2f}" for p in sorted(mem.probability,reverse=True)),
                diam_mm=" ".join(f"{p:.2f}" for p in mem.diameter_mm), contrast=" ".join(f"{p:.0f}" for p in mem.contrast),
                snr=" ".join(f"{p:.1f}" for p in mem.snr), spread_mm=round(spread,2), area=c.area_mm2, truth_near=";".join(near),
                rejected_nearby=";".join(rejnear.rejected.astype(str)), row=round(rr), col=round(cc0)))
            fig,ax=plt.subplots(1,3,figsize=(18,6.4))
            for k,(half,hp) in enumerate([(25.0,False),(ext/2,False),(ext/2,True)]):
                h=int(half/sp); r0=max(int(rr)-h,0); r1=min(int(rr)+h,px.shape[0]); c0=max(int(cc0)-h,0); c1=min(int(cc0)+h,px.shape[1])
                sub=px[r0:r1,c0:c1]
                if hp: sub=sub-gaussian_filter(sub,0.5/sp)  # 0.5 mm high-pass
                lo,hi=np.percentile(sub,[1,99.7]); a=ax[k]
                a.imshow(sub,cmap='gray',vmin=lo,vmax=hi,extent=(c0-.5,c1-.5,r1-.5,r0-.5),interpolation='nearest')
                for d in truth['distractors']:
                    b=d['bbox']
                    if b[2]<r0 or b[0]>r1 or b[3]<c0 or b[1]>c1: continue
                    col=COL.get(d['kind'],'white')
                    if d['kind']=='scratch' and 'path_rc' in d:
                        pr=np.array(d['path_rc']); a.plot(pr[:,1],pr[:,0],'--',color=col,lw=0.8)
                    a.add_patch(Rectangle((b[1]-.5,b[0]-.5),b[3]-b[1]+1,b[2]-b[0]+1,fill=False,ec=col,lw=0.8,ls=':' if d['kind']=='vessel' else '-'))
                    a.text(max(b[1],c0),max(b[0],r0),d['kind'],color=col,fontsize=7,va='bottom')
                if k==0:
                    a.add_patch(Rectangle((c.col_min-.5,c.row_min-.5),c.col_max-c.col_min+1,c.row_max-c.row_min+1,fill=False,ec='red',lw=1.2))
                else:
                    oth=allc[(allc.row>=r0)&(allc.row<r1)&(allc.col>=c0)&(allc.col<c1)]
                    for _,q in oth.iterrows():
                        if isinstance(q.rejected,str):
                            a.plot(q.col,q.row,'x',color='magenta',ms=8,mew=1.2); a.text(q.col+2/sp*0.1,q.row,q.rejected,color='magenta',fontsize=6)
                        elif q.cluster_id==c.cluster_id:
                            a.add_patch(Circle((q.col,q.row),0.6/sp,fill=False,ec='red',lw=1.2))
                            if k==1: a.text(q.col+0.7/sp,q.row,f"{q.probability:.2f}",color='red',fontsize=7)
                        else:
                            a.add_patch(Circle((q.col,q.row),0.6/sp,fill=False,ec='yellow',lw=0.8,ls='--'))
                a.set_xlim(c0-.5,c1-.5); a.set_ylim(r1-.5,r0-.5)
                a.set_title(["context 50 mm (red box = cluster)",f"{2*half:.0f} mm, members red (p), other cand. yellow, rejected magenta",f"same, 0.5 mm high-pass"][k],fontsize=9)
            fig.suptitle(f"{tag} {name} {e.preset} dens {e.density} {sp} mm  cluster {c.cluster_id}: n={len(mem)} score {c.score:.3f} thr {r.threshold}  spread {spread:.1f} mm",fontsize=10)
            fig.tight_layout(); fig.savefig(f"{O}/crops/{tag}_{name}_c{c.cluster_id}.png",dpi=90); plt.close(fig)
pd.DataFrame(rows).to_csv(f"{O}/flagged_clusters.csv",index=False)
pd.set_option('display.width',250); pd.set_option('display.max_colwidth',80)
print(pd.DataFrame(rows).drop(columns=['diam_mm','contrast']).to_string())
