#!/usr/bin/env python3
"""Seeds for the "unpack" fuzz target (tests/fuzz/unpack.c), made at run time so no binary blobs sit
in git: small tars, ordinary and hostile (escaping names, symlinks and hardlinks, whiteouts, a member
replacing another), each as four inputs: the options byte (bit 0 layer, bit 1 gzip-wrapped by the
target) followed by the tar.   usage: unpack-seeds.py DIR"""
import io
import os
import sys
import tarfile


def entry(name, kind=tarfile.REGTYPE, data=b"", link="", mode=0o644, pax=None):
    ti = tarfile.TarInfo(name)
    ti.type, ti.linkname, ti.mode, ti.mtime = kind, link, mode, 1700000000
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    if pax:
        ti.pax_headers = pax
    return ti, data


def d(name, mode=0o755):
    return entry(name, tarfile.DIRTYPE, mode=mode)


def sym(name, target):
    return entry(name, tarfile.SYMTYPE, link=target)


def hard(name, target):
    return entry(name, tarfile.LNKTYPE, link=target)


SEEDS = {
    "plain": [d("./"), d("a"), entry("a/f", data=b"hi\n"), sym("a/l", "f"), hard("a/h", "a/f"),
              entry("a/x", tarfile.FIFOTYPE)],
    "dotdot": [entry("../escape", data=b"x"), entry("a/../../escape2", data=b"x")],
    "absolute": [entry("/abs", data=b"x"), entry("//etc//./passwd", data=b"x")],
    "symlink-up": [sym("s", "../../.."), entry("s/sentinel", data=b"owned"), sym("t", "/"),
                   entry("t/sibling/new", data=b"x")],
    "symlink-abs": [sym("u", "/tmp"), d("u/gph-x"), sym("v", "../sentinel"), entry("v", data=b"x")],
    "hardlink-out": [hard("h", "../sentinel"), hard("i", "/etc/passwd"), hard("j", "s/keep"),
                     sym("s", "../sibling")],
    "whiteouts": [d("a"), entry("a/f", data=b"x"), entry("a/.wh.f"), entry("a/.wh..wh..opq"),
                  entry(".wh.gone"), entry(".wh../x"), entry("a/.wh.b/c")],
    "replace": [d("a"), entry("a/f", data=b"1"), entry("a", data=b"now a file"), d("a"), sym("b", "a"),
                d("b"), entry("b/c", data=b"2")],
    "root-file": [entry(".", data=b"root as a file"), sym(".", "/")],
    "pax-long": [entry("p/" + "n" * 200 + "/file", data=b"long", pax={"mtime": "1.5", "path": "p/" + "q" * 120}),
                 entry("mode", data=b"", mode=0o4755)],
}


def tar_bytes(members, fmt):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if ti.size else None)
        end = tf.offset
    # The two zero blocks of the end, without the padding to a 10 KiB record.
    return buf.getvalue()[: end + 1024]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, members in SEEDS.items():
        for fmt, tag in ((tarfile.PAX_FORMAT, "pax"), (tarfile.GNU_FORMAT, "gnu")):
            try:
                t = tar_bytes(members, fmt)
            except ValueError:
                continue
            for opt in range(4):
                with open(os.path.join(out, "seed-%s-%s-%d" % (name, tag, opt)), "wb") as f:
                    f.write(bytes([opt]) + t)


if __name__ == "__main__":
    main()
