"""How many visible truth clusters fail 'member-centred 3 within R' but pass 'any disc'."""
import json, glob, sys, itertools
import numpy as np
R = np.sqrt(100/np.pi)
def mec_r(p):
    # minimum enclosing circle radius of 3 points
    a,b,c = p
    ab,bc,ca = np.linalg.norm(a-b),np.linalg.norm(b-c),np.linalg.norm(c-a)
    s = sorted([ab,bc,ca])
    if s[2]**2 >= s[0]**2+s[1]**2: return s[2]/2
    area = abs(np.cross(b-a,c-a))/2
    return ab*bc*ca/(4*area)
for d in sys.argv[1:]:
    n=centred=anyd=0; wide=[]
    for f in sorted(glob.glob(d+'/*.truth.json')):
        t=json.load(open(f))
        sp=t['spacing_mm']
        for cl in t['clusters']:
            if cl['visibility']!='visible': continue
            n+=1
            m=[c for c in t['calcifications'] if c['cluster_id']==cl['cluster_id'] and c['d_prime']>=6]
            p=np.array([[c['row']*sp[0],c['col']*sp[1]] for c in m])
            D=np.linalg.norm(p[:,None]-p[None],axis=-1)
            ok1=((D<=R).sum(1)>=3).any()
            ok2=any(mec_r(p[list(i)])<=R for i in itertools.combinations(range(len(p)),3))
            centred+=ok1; anyd+=ok2
            if not ok1: wide.append((f.split('/')[-1],len(m),round(float(D.max()),1)))
    print(d, 'visible',n,'member-centred',centred,'any-disc',anyd, wide[:10])
