#!/usr/bin/env python3
"""Write the small seed corpora of the fuzz targets (fuzz/corpus/<target>/). Re-run after
changing a target's input format; the fuzzer adds what it finds to its own working corpus."""
import os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = ["profile", "memory", "address-space", "time", "wall-time", "pids", "files", "fsize",
        "stack", "nice", "cpus", "net", "bind", "ro-bind", "tmpfs", "workdir", "chdir",
        "tmp-size", "seccomp", "landlock", "hostname", "cgroup-root", "cgroup-dir", "report",
        "meta", "quiet", "verbose", "env", "keep-env", "inherit-env", "keep-fd", "lib"]
VALUES = {"profile": "judge", "memory": "64M", "address-space": "1G", "time": "1.5",
          "wall-time": "1500ms", "pids": "16", "files": "64", "fsize": "16M", "stack": "8M",
          "nice": "19", "cpus": "0.5", "net": "loopback", "bind": "/data:/data",
          "ro-bind": "/opt", "tmpfs": "/scratch:16M", "workdir": "none", "chdir": "/tmp",
          "tmp-size": "64M", "seccomp": "strict", "landlock": "auto", "hostname": "box",
          "cgroup-root": "sandbox/runs", "cgroup-dir": "/sys/fs/cgroup/x", "report": "r.json",
          "meta": "m.txt", "quiet": "true", "verbose": "false", "env": "A=B",
          "keep-env": "HOME", "inherit-env": "true", "keep-fd": "3", "lib": "/usr/lib/libsandbox.so"}


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


for i, k in enumerate(KEYS):
    put("policy_set", k, bytes([i]) + VALUES[k].encode())
put("policy_set", "all", b"\0".join(bytes([i]) + VALUES[k].encode() for i, k in enumerate(KEYS)))

put("toml_config", "basic", 'profile = "judge"\nmemory = "64M"\ntime = 1.5\nbind = ["/data:/data", "/opt/tool"]\nquiet = true\n')
put("toml_config", "all", "".join(f'{k} = "{v}"\n' for k, v in VALUES.items()))
put("toml_config", "bad", 'memory = [1, 2]\n[table]\nx = 1\n')

env = lambda k: "SANDBOX_" + k.upper().replace("-", "_")
put("bare_env", "basic", "PATH=/bin\0SANDBOX_MEMORY=64M\0SANDBOX_TIME=1\0SANDBOX_QUIET=\0LD_PRELOAD=./x.so:/lib/y.so")
put("bare_env", "all", "".join(f"{env(k)}={v}\0" for k, v in VALUES.items() if k not in ("env", "keep-env", "inherit-env", "keep-fd", "lib")))
put("bare_env", "audit", "LD_AUDIT=../../a.so\0SANDBOX_PROFILE=judge\0SANDBOX_SECCOMP=default")

put("seccomp_file", "doc", "# comment\ndefault allow  # trailing\ndeny ptrace bpf\nerrno EACCES openat\nerrno 38 getpid\nkill socket\ndeny @mount\nallow mount read write @basic-io\n")
put("seccomp_file", "strictish", "default kill\nallow @basic-io @file @memory @signal @thread @time @process @poll\nerrno ENOSYS clone3\n")
put("seccomp_file", "errno", "default errno 4095\nallow clone\n")

# ELF: a 64-byte header and program headers, with optional PT_INTERP / PT_DYNAMIC / PT_LOAD.
def elf(etype=2, phdrs=(), extra=b"", cls=2, machine=62, phnum=None, phoff=64):
    n = len(phdrs) if phnum is None else phnum
    h = b"\x7fELF" + bytes([cls, 1, 1, 0]) + b"\0" * 8
    h += struct.pack("<HHIQQQIHHHHHH", etype, machine, 1, 0x401000, phoff, 0, 0, 64, 56, n, 64, 0, 0)
    body = b"".join(struct.pack("<IIQQQQQQ", *p) for p in phdrs)
    return h + body + extra

base = 64 + 56 * 3
interp = b"/lib64/ld-linux-x86-64.so.2\0"
dyn_off = base + len(interp)
strtab_off = dyn_off + 16 * 4
dynamic = struct.pack("<QQ", 5, 0x400000 + strtab_off) + struct.pack("<QQ", 29, 1) + struct.pack("<QQ", 32, 0) + struct.pack("<QQ", 0, 0)
strtab = b"\0$ORIGIN/../lib:/usr/lib\0"
dyn_elf = elf(3, [(3, 4, base, 0, 0, len(interp), len(interp), 1),
                  (2, 6, dyn_off, 0x400000 + dyn_off, 0, 64, 64, 8),
                  (1, 5, 0, 0x400000, 0, 4096, 4096, 4096)], interp + dynamic + strtab)
put("target", "dynamic-elf", dyn_elf)
put("target", "static-elf", elf(2, [(1, 5, 0, 0x400000, 0, 120, 120, 4096)]))
put("target", "static-pie", elf(3, [(1, 5, 0, 0, 0, 120, 120, 4096)]))
put("target", "elf32", elf(cls=1))
put("target", "truncated", elf()[:40])
put("target", "huge-phnum", elf(phnum=0xffff, phoff=0xfffffffffffff000))
put("target", "script", b"#!/bin/sh -e\necho hi\n")
put("target", "env-script", b"#!/usr/bin/env -S python3 -u\nprint(1)\n")
put("target", "chain", b"#!/tmp/sbxfz-target/b x\n@@F\n#!/tmp/sbxfz-target/c\n@@F\n#!/bin/sh\n")
put("target", "loop", b"#!/tmp/sbxfz-target/a\n")
put("target", "long-line", b"#!/bin/" + b"x" * 300 + b"\n")
put("target", "elf-interp", b"#!/tmp/sbxfz-target/b\n@@F\n" + dyn_elf)
