#!/usr/bin/env python3
"""`gabn bench --json` names the OpenBLAS core it ran, and a user's
OPENBLAS_CORETYPE is kept (src/engine/nn/gabn-blas-core.c).

- OPENBLAS_CORETYPE unset: the run succeeds; blas_core is a name; if the
  program restarted itself (blas_coretype_env set), OpenBLAS runs the core it
  asked for.
- OPENBLAS_CORETYPE set to the core OpenBLAS picked on its own, and to
  "Haswell" on x86-64: the value reaches the bench unchanged and OpenBLAS
  runs it.
- With PRESCOTT_SO preloaded (OpenBLAS seems to have picked "Prescott", as
  0.3.21 does on Intel models it does not know), on x86-64: the program
  restarts under the core for this CPU's flags in /proc/cpuinfo, with the
  same arguments and output, or does not restart on an SSE-only CPU.
Usage: test-bench-blas-core.py GABN PRESCOTT_SO"""
import json
import os
import platform
import subprocess
import sys

GABN = sys.argv[1]
PRESCOTT_SO = sys.argv[2]
ARGS = ["bench", "--json", "--no-torch", "--seconds", "0.01", "--arch", "gabn-s",
        "--batch", "2", "--classes", "8"]


def bench(coretype, preload=None):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype is not None:
        env["OPENBLAS_CORETYPE"] = coretype
    if preload is not None:
        env["LD_PRELOAD"] = preload
        # In the sanitizer build the preload comes before ASan's runtime.
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
    p = subprocess.run([GABN, *ARGS], capture_output=True, text=True, env=env, timeout=600)
    if p.returncode != 0:
        sys.exit(f"gabn {' '.join(ARGS)} failed ({p.returncode}):\n{p.stderr}")
    return json.loads(p.stdout)


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok:", what)


own = bench(None)
core = own["blas_core"]
check(own["sgemm_gflops"] > 0 and own["train_images_per_s"] > 0, "unset: bench ran")
check(isinstance(core, str) and core, f"unset: blas_core named ({core})")
if own["blas_coretype_env"] is not None:
    check(own["blas_coretype_env"] == core,
          f"restarted with OPENBLAS_CORETYPE={own['blas_coretype_env']} and runs it")

kept = bench(core)
check(kept["blas_coretype_env"] == core and kept["blas_core"] == core,
      f"OPENBLAS_CORETYPE={core} kept")

if platform.machine() == "x86_64":
    user = bench("Haswell")
    check(user["blas_coretype_env"] == "Haswell" and user["blas_core"] == "Haswell",
          "OPENBLAS_CORETYPE=Haswell kept, whatever the CPU")


def cpu_core():
    """The core gabn-blas-core.c asks for, from the kernel's flags."""
    with open("/proc/cpuinfo") as f:
        flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    if all(f in flags for f in ("avx512f", "avx512bw", "avx512dq", "avx512vl")):
        return "SkylakeX"
    if "avx2" in flags and "fma" in flags:
        return "Haswell"
    if "avx" in flags:
        return "Sandybridge"
    return None


if platform.machine() == "x86_64":
    want = cpu_core()
    restarted = bench(None, PRESCOTT_SO)
    check(restarted["blas_coretype_env"] == want,
          f"OpenBLAS seen as Prescott: restarted with OPENBLAS_CORETYPE={want}")
    if want is not None:
        check(restarted["blas_core"] == want, f"and runs {want}")
    check(restarted["arch"] == "gabn-s" and restarted["batch"] == 2,
          "the restart kept the arguments")
