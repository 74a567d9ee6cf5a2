import numpy as np, pandas as pd, json
import calcdetect.detector.pipeline as P
from calcdetect.io import read_mammogram
from calcdetect.config import DetectorConfig
T="/work/scratch/s17/test"; O="/work/scratch/s17/fpfilm"
cap={}
orig=P.reject_artefacts
def wrap(image, rows, cols, **kw):
    r=orig(image, rows, cols, **kw); cap['r']=r; cap['rc']=(np.asarray(rows),np.asarray(cols)); cap['off']=None; return r
P.reject_artefacts=wrap
fl=pd.read_csv(f"{O}/flagged_clusters.csv")
out=[]
for (tag,name),g in fl.groupby(['set','image']):
    s={"s17":"base_film_98000017","s18":"base_film_98000018"}[tag]
    m=read_mammogram(f"{T}/{s}/phantoms/{name}.dcm")
    res=P.detect_mammogram(m)
    rej=cap['r']; rr,cc=cap['rc']
    ps=rej.point_spread
    ca=pd.read_csv(f"{O}/scan/{tag}/calcifications.csv"); ca=ca[ca.sop_instance_uid==m.sop_instance_uid]
    truth=json.load(open(f"{T}/{s}/phantoms/{name}.truth.json"))
    dust=[d for d in truth['distractors'] if d['kind'] in ('dust','single_speck')]
    # candidate coords may be relative to a work region; find offset by matching
    for cid in g.cluster:
        mem=ca[ca.cluster_id==cid]
        for _,q in mem.iterrows():
            d2=(rr-q.row)**2+(cc-q.col)**2; j=int(np.argmin(d2))
            if d2[j]>4:
                # try work-region offset
                pass
            dd=min(dust,key=lambda d:(d['row']-q.row)**2+(d['col']-q.col)**2) if dust else None
            ddist=np.hypot(dd['row']-q.row,dd['col']-q.col)*m.spacing_mm[0] if dd else np.nan
            out.append(dict(set=tag,image=name,cluster=cid,row=q.row,col=q.col,p=round(q.probability,3),snr=round(q.snr,1),diam=q.diameter_mm,
                match_px=round(float(np.sqrt(d2[j])),1),speck_z=round(float(rej.speck_z[j]),2) if rej.speck_z.size else np.nan,
                psf_sigma_px=round(ps.sigma_px,3),psf_test_sigma=round(0.8*ps.sigma_px,3),white=round(ps.white_fraction,2),
                nearest_speck=f"{dd['kind']}/{dd['subkind']} d={dd.get('diameter_mm')} op={dd.get('opacity')} grp={dd.get('group')}" if dd else "",
                speck_dist_mm=round(ddist,2)))
df=pd.DataFrame(out); df.to_csv(f"{O}/members_speckz.csv",index=False)
pd.set_option('display.width',250); print(df.to_string())
