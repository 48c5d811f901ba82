#!/usr/bin/env python3
"""Test images made at test time (never committed as binaries).

  mkimage.py oci ROOTFS OUTDIR            OCI layout: layer 1 = ROOTFS, layer 2 adds /etc/motd, whites out
                                          /etc/hostname-gone and makes /opt opaque; Cmd, Env, WorkingDir set
  mkimage.py docker ROOTFS OUT.tar        a `docker save` archive of ROOTFS (one layer), RepoTags t/docker:1
  mkimage.py hostile CLASS SCRATCH OUTDIR an OCI layout whose layers attack SCRATCH (see CLASSES)
  mkimage.py swap ROOTFS OUTSIDE OUTDIR   t/swap:1: layer 2 makes /swap a symlink to the directory OUTSIDE
                                          and /swapf one to OUTSIDE/f; layer 3 makes /swap a directory
                                          holding f and /swapf a file: stacking must replace the links,
                                          never write through them (the copy fallback's case)
"""
import gzip, hashlib, io, json, os, sys, tarfile

def blob(out, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)

def tar_of(members):
    """members: list of (TarInfo, bytes or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in members:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()

def ti(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.mode = mode
    t.mtime = 1700000000
    if kind == tarfile.REGTYPE:
        t.size = len(data)
        return (t, data)
    t.linkname = link
    return (t, None)

def rootfs_tar(root):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(root)):
            t.add(os.path.join(root, name), arcname=name)
        for m in (ti("etc/hostname-gone", data=b"should be whited out\n"), ti("opt/", tarfile.DIRTYPE, mode=0o755),
                  ti("opt/old", data=b"hidden by the opaque dir\n")):
            t.addfile(m[0], io.BytesIO(m[1]) if m[1] is not None else None)
    return buf.getvalue()

def layout(out, layers, config, name=None):
    """layers: list of uncompressed tar bytes; the first is gzip'ed (as registries serve them)."""
    diff_ids, descs = [], []
    for i, raw in enumerate(layers):
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        data = gzip.compress(raw, mtime=0) if i == 0 else raw
        d, n = blob(out, data)
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if i == 0 else "")
        descs.append({"mediaType": mt, "digest": d, "size": n})
    cfg = {"architecture": "amd64", "os": "linux", "config": config,
           "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cd, cn = blob(out, json.dumps(cfg).encode())
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
           "layers": descs}
    md, mn = blob(out, json.dumps(man).encode())
    ent = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
           "platform": {"architecture": "amd64", "os": "linux"}}
    if name:
        ent["annotations"] = {"org.opencontainers.image.ref.name": name}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [ent]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)

def oci(root, out):
    top = tar_of([ti("etc/"  , tarfile.DIRTYPE, mode=0o755), ti("etc/motd", data=b"layer two\n"),
                  ti("etc/.wh.hostname-gone"), ti("opt/", tarfile.DIRTYPE, mode=0o755),
                  ti("opt/.wh..wh..opq"), ti("opt/new", data=b"new\n")])
    layout(out, [rootfs_tar(root), top],
           {"Cmd": ["/bin/sh", "-c", "echo from-cmd $GREETING; pwd"], "Env": ["GREETING=hello-env"],
            "WorkingDir": "/etc"}, name="t/oci:1")

def docker(root, out):
    raw = rootfs_tar(root)
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/echo", "docker-cmd"]},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
    cfgname = hashlib.sha256(cfg).hexdigest() + ".json"
    man = json.dumps([{"Config": cfgname, "RepoTags": ["t/docker:1"], "Layers": ["abc/layer.tar"]}]).encode()
    with tarfile.open(out, "w") as t:
        for name, data in ((cfgname, cfg), ("abc/layer.tar", raw), ("manifest.json", man)):
            m = ti(name, data=data)
            t.addfile(m[0], io.BytesIO(m[1]))

def hostile(cls, scratch, out):
    up = os.path.relpath(scratch, "/")  # enough ".." to reach / from anywhere, then down to scratch
    dots = "../" * 40
    base = tar_of([ti("etc/", tarfile.DIRTYPE, mode=0o755), ti("etc/passwd", data=b"root:x:0:0::/:/bin/sh\n"),
                   ti("etc/group", data=b"root:x:0:\n")])
    L = {
        # B04: the layer root itself a symlink pointing out, then a file through it
        "rootlink": [tar_of([ti("./", tarfile.SYMTYPE, link=dots + up)]), tar_of([ti("etc/pwned", data=b"x")])],
        # B06: .. and absolute names
        "dotdot": [tar_of([ti("../../outside-file", data=b"x")])],
        "dotdot2": [tar_of([ti("a/../../b", data=b"x")])],
        "dotdot3": [tar_of([ti("./../c", data=b"x")])],
        # absolute names are re-rooted inside the layer (docker's behaviour): contained, not refused
        "absolute": [tar_of([ti("/abs-file", data=b"contained")]), ],
        # a symlink made by an earlier member, then a file written through it
        "symlink": [tar_of([ti("evil", tarfile.SYMTYPE, link=dots + up), ti("evil/pwned", data=b"x")])],
        "abssymlink": [tar_of([ti("evil", tarfile.SYMTYPE, link="/" + up), ti("evil/pwned", data=b"x")])],
        # a symlink in a lower layer, written through in the next one
        "layerlink": [tar_of([ti("evil", tarfile.SYMTYPE, link="/" + up)]), tar_of([ti("evil/pwned", data=b"x")])],
        # a hardlink to a file outside
        "hardlink": [tar_of([ti("h", tarfile.LNKTYPE, link=dots + up + "/canary")])],
        "hardlink2": [tar_of([ti("s", tarfile.SYMTYPE, link="/" + up), ti("h", tarfile.LNKTYPE, link="s/canary")])],
        # B09: malformed whiteouts
        "wh-empty": [base, tar_of([ti("etc/.wh.")])],
        "wh-dot": [base, tar_of([ti(".wh..")])],
        "wh-dotdot": [base, tar_of([ti(".wh...")])],
        "wh-dir": [base, tar_of([ti("a/.wh.../x", data=b"x")])],
        # a whiteout reached through a symlink pointing out: must only remove inside
        "wh-symlink": [tar_of([ti("evil", tarfile.SYMTYPE, link="/" + up)]), tar_of([ti("evil/.wh.canary")])],
        # a setuid file and a device node (kept only as root; never a way out)
        "devices": [tar_of([ti("suid", data=b"#!/bin/sh\n", mode=0o4755)])],
    }
    layout(out, L[cls], {"Cmd": ["/bin/true"]}, name="t/hostile:" + cls.replace("-", "").replace("_", ""))

def swap(root, outside, out):
    links = tar_of([ti("swap", tarfile.SYMTYPE, link=outside), ti("swapf", tarfile.SYMTYPE, link=outside + "/f")])
    real = tar_of([ti("swap/", tarfile.DIRTYPE, mode=0o755), ti("swap/f", data=b"inside\n"),
                   ti("swapf", data=b"replaced\n")])
    layout(out, [rootfs_tar(root), links, real], {"Cmd": ["/bin/cat", "/swap/f", "/swapf"]}, name="t/swap:1")

if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "oci":
        oci(sys.argv[2], sys.argv[3])
    elif kind == "docker":
        docker(sys.argv[2], sys.argv[3])
    elif kind == "swap":
        swap(sys.argv[2], sys.argv[3], sys.argv[4])
    elif kind == "hostile":
        hostile(sys.argv[2], sys.argv[3], sys.argv[4])
    elif kind == "classes":
        print("rootlink dotdot dotdot2 dotdot3 absolute symlink abssymlink layerlink hardlink hardlink2 "
              "wh-empty wh-dot wh-dotdot wh-dir wh-symlink devices")
    else:
        sys.exit(__doc__)
