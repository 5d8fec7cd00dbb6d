#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Prints the reference vectors embedded in test/unit/test_ike_crypto.c
# (section "independent reference"), computed with Python hmac/hashlib
# and pyca/cryptography: an implementation independent of lib/ike.
# Independent reference (python hmac + pyca/cryptography) for RFC 7296 2.13-2.17, 2.15, RFC 5282/7634 SK.
import hmac, hashlib, struct
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
H={5:hashlib.sha256,6:hashlib.sha384,7:hashlib.sha512}
def prf(a,k,d): return hmac.new(k,d,H[a]).digest()
def prfplus(a,k,s,n):
    out=b"";t=b"";i=1
    while len(out)<n:
        t=prf(a,k,t+s+bytes([i])); out+=t; i+=1
    return out[:n]
ni=bytes(range(0,32)); nr=bytes(range(0x40,0x60))
gir=bytes.fromhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
spii=bytes(range(1,9)); spir=bytes(range(0x11,0x19))
def c(name,b): print("static const uint8_t %s[%d] = {\n%s\n};"%(name,len(b),",\n".join("\t"+", ".join("0x%02x"%x for x in b[i:i+8]) for i in range(0,len(b),8))))
def ike(a,ek,tag):
    ss=prf(a,ni+nr,gir); pl=len(ss)
    km=prfplus(a,ss,ni+nr+spii+spir,3*pl+2*(ek+4))
    o=0; d=km[o:o+pl];o+=pl; ei=km[o:o+ek+4];o+=ek+4; er=km[o:o+ek+4];o+=ek+4; pi=km[o:o+pl];o+=pl; pr=km[o:o+pl]
    for n,v in (("sk_d",d),("sk_ei",ei),("sk_er",er),("sk_pi",pi),("sk_pr",pr)): c(tag+"_"+n,v)
    return d,ei,er,pi,pr,ss
d,ei,er,pi,pr,ss=ike(5,32,"v1")   # AES-GCM-256, PRF SHA-256
d2,ei2,er2,pi2,pr2,ss2=ike(6,32,"v2")  # ChaCha20-Poly1305, PRF SHA-384
# child: aes128gcm from v1, no PFS; chacha from v2 with PFS g_ir
km=prfplus(5,d,ni+nr,2*20); c("v1_child_i",km[:20]); c("v1_child_r",km[20:])
km=prfplus(6,d2,gir+ni+nr,2*36); c("v2_child_i",km[:36]); c("v2_child_r",km[36:])
# rekey of v1 into a v2-like suite (chacha, sha384), new spis swapped
ss3=prf(5,d,gir+ni+nr)
km=prfplus(6,ss3,ni+nr+spir+spii,3*48+2*36)
c("v3_sk_d",km[:48]); c("v3_sk_ei",km[48:84])
# PSK auth: initiator, prf sha256
psk=b"test-only-rig-psk-not-a-secret"
real=bytes(range(100)); idb=bytes([1,0,0,0,198,18,4,1])
mac=prf(5,pi,idb); auth=prf(5,prf(5,psk,b"Key Pad for IKEv2"),real+nr+mac); c("v1_auth_i",auth)
# SK: message with SK{N(INITIAL_CONTACT)}, IV 0xa0.., msg id 1
inner=bytes([0,0,0,8,0,0,0x40,0x00])
def sk(key,aead,exch_flags):
    iv=bytes(range(0xa0,0xa8)); pt=inner+b"\x00"
    body=8+len(pt)+16; total=28+4+body
    hdr=spii+spir+bytes([46,0x20,35,0x08])+struct.pack(">II",1,total)
    skh=bytes([41,0])+struct.pack(">H",4+body)
    ct=aead(key[:-4]).encrypt(key[-4:]+iv,pt,hdr+skh)
    return hdr+skh+iv+ct
c("v1_sk_msg",sk(ei,AESGCM,0)); c("v2_sk_msg",sk(ei2,ChaCha20Poly1305,0))
# NAT-D
c("v_natd",hashlib.sha1(spii+spir+bytes([198,18,4,1])+struct.pack(">H",500)).digest())
