# Crafts H.264 SPS NAL units per ISO/IEC 14496-10 7.3.2.1.1 to exercise scaling lists and POC type 1.
class W:
    def __init__(s): s.bits=[]
    def u(s,n,v): s.bits += [(v>>(n-1-i))&1 for i in range(n)]
    def ue(s,v):
        v+=1; n=v.bit_length(); s.u(n-1,0); s.u(n,v)
    def se(s,v): s.ue(2*v-1 if v>0 else -2*v)
    def rbsp(s):
        s.u(1,1)
        while len(s.bits)%8: s.bits.append(0)
        return bytes(int(''.join(map(str,s.bits[i:i+8])),2) for i in range(0,len(s.bits),8))
def escape(b):
    out=bytearray(); z=0
    for x in b:
        if z>=2 and x<=3: out.append(3); z=0
        out.append(x); z = z+1 if x==0 else 0
    return bytes(out)
def sps(poc_type, scaling):
    w=W(); w.u(8,100); w.u(8,0); w.u(8,40); w.ue(0)
    w.ue(1); w.ue(0); w.ue(0); w.u(1,0)   # chroma 1, 8 bit, no bypass
    w.u(1,1 if scaling else 0)
    if scaling:
        for i in range(8):
            if i in (0,6):
                w.u(1,1)
                n=16 if i<6 else 64
                for j in range(n): w.se(3 if j<n-1 else -128)  # ends with nextScale possibly 0
            else: w.u(1,0)
    w.ue(0) # log2_max_frame_num_minus4
    w.ue(poc_type)
    if poc_type==0: w.ue(2)
    elif poc_type==1:
        w.u(1,0); w.se(-1); w.se(2); w.ue(2); w.se(1); w.se(-3)
    w.ue(4); w.u(1,0)
    w.ue(119); w.ue(67); w.u(1,1); w.u(1,1)  # 1920 x 1088 frame
    w.u(1,1); w.ue(0); w.ue(0); w.ue(0); w.ue(4)  # crop bottom 8 lines
    w.u(1,1) # vui
    w.u(1,1); w.u(8,1)  # SAR 1:1
    w.u(1,0); w.u(1,0); w.u(1,0)
    w.u(1,1); w.u(32,1001); w.u(32,60000); w.u(1,1)  # 29.97
    w.u(1,0); w.u(1,0); w.u(1,0); w.u(1,0)  # nal_hrd, vcl_hrd, pic_struct, bitstream_restriction
    return bytes([0x67]) + escape(w.rbsp())
import sys
for name,args in [('poc1_scaling',(1,True)),('poc2',(2,False))]:
    b=sps(*args); print(name,b.hex()); open(name+'.h264','wb').write(b'\x00\x00\x00\x01'+b)
