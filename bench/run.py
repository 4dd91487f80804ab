"""glc against TensorFlow, ONNX Runtime and PyTorch: one command, every workload.

    bench/setup.sh                      # once: the venv with the pinned peers
    build-venv-bench/bin/python bench/run.py [--quick] [--workloads W5,W6] [--iters N]
    build-venv-bench/bin/python bench/run.py --cpu x86-64-v3 --peer-isa avx2   # AVX2 code

Writes bench/results/latest.json (a list of records, one per workload x system x batch;
see harness.py for the fields and how they are measured), latest_meta.json (machine,
peak, versions, command), plots under bench/results/, and
BENCHMARKS.md at the repository root. --quick runs batch 1 only with fewer calls.

--cpu NAME compiles glc's models for that CPU (`glc --cpu=NAME`: e.g. x86-64-v3 for AVX2
code on an AVX-512 machine) and measures the FMA peak with bench/peak/fma_peak.c built
for it (-march=NAME: the AVX2 peak for x86-64-v3). Such a run writes
bench/results/cpu-NAME.json and cpu-NAME_meta.json instead of latest*.json (no plots),
and BENCHMARKS.md gets a section for it after the host's run (report.py reads every
results/cpu-*.json). --peer-isa avx2 makes the peers use their AVX2 kernels on an
AVX-512 machine: the run re-executes itself with bench/peak/avx2_cpuid.c preloaded
(CPUID reports no AVX-512: ONNX Runtime's MLAS, XLA and oneDNN dispatch on it) and with
ONEDNN_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2, MKL_ENABLE_INSTRUCTIONS=AVX2 and
OPENBLAS_CORETYPE=Haswell.

--contention on|both times the workloads with a competing busy process on every core
(harness.busy_cores); bench/contention.py is the focused check of issue 23 (W6 b1 and W7,
quiet and busy blocks alternating, glc against ONNX Runtime on 1 and 2 threads).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402
import report  # noqa: E402


def set_threads(threads):
    os.environ["OMP_NUM_THREADS"] = str(threads)
    try:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except ImportError:
        pass


def measure_peak(runs=5, cpu=None):
    """Builds bench/peak/fma_peak.c for cpu (-march=cpu; None: this host) and runs it `runs`
    times; returns its JSON with the best figures. The host is shared: one run can lose a
    core to another tenant and report the 2-thread peak as the 1-thread one, which would
    inflate every % of peak."""
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "fma_peak")
        subprocess.run(["cc", "-O2", f"-march={cpu or 'native'}", "-pthread",
                        os.path.join(HERE, "peak", "fma_peak.c"), "-o", exe], check=True)
        best = None
        for _ in range(runs):
            p = json.loads(subprocess.run([exe], check=True, capture_output=True,
                                          text=True).stdout)
            if best is None:
                best = p
            for k in ("gflops_1thread", "gflops_all"):
                best[k] = max(best[k], p[k])
        return best


def versions():
    v = {"python": platform.python_version()}
    for mod in ("numpy", "onnx", "onnxruntime", "tensorflow", "keras", "torch"):
        try:
            v[mod] = __import__(mod).__version__
        except ImportError:
            v[mod] = None
    v["glc"] = subprocess.run([harness.glc_driver(), "--version"], capture_output=True,
                              text=True).stdout.strip()
    return v


# --peer-isa avx2: what the re-executed run's environment gets (see the module docstring).
AVX2_PEER_ENV = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2",
                 "MKL_ENABLE_INSTRUCTIONS": "AVX2", "OPENBLAS_CORETYPE": "Haswell"}


def reexec_for_avx2_peers():
    """Re-executes this run with the AVX2-only CPUID library preloaded (once: the marker
    GLC_BENCH_PEER_ISA says it is in place). The re-executed run then takes it out of
    LD_PRELOAD again, so that its subprocesses (cc, the glc driver, the memory probes) run
    as usual: the compilers install SIGSEGV handlers of their own."""
    if os.environ.get("GLC_BENCH_PEER_ISA") == "avx2":
        orig = os.environ.pop("GLC_BENCH_LD_PRELOAD", "")
        if orig:
            os.environ["LD_PRELOAD"] = orig
        else:
            os.environ.pop("LD_PRELOAD", None)
        return
    lib = os.path.join(tempfile.mkdtemp(prefix="glc-bench-"), "avx2_cpuid.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", os.path.join(HERE, "peak", "avx2_cpuid.c"),
                    "-o", lib], check=True)
    env = dict(os.environ, **AVX2_PEER_ENV, GLC_BENCH_PEER_ISA="avx2",
               GLC_BENCH_LD_PRELOAD=os.environ.get("LD_PRELOAD", ""))
    env["LD_PRELOAD"] = " ".join(filter(None, [lib, os.environ.get("LD_PRELOAD")]))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="batch 1 only, fewer calls")
    ap.add_argument("--workloads", default="", help="comma-separated IDs, e.g. W5,W6")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=None, help="timed rounds (default 10, quick 5)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds of timed calls per system before it stops early "
                         "(default 60, quick 15)")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-RSS probes")
    ap.add_argument("--contention", choices=("off", "on", "both"), default="off",
                    help="on: time every configuration with a busy process spinning on each "
                         "core (harness.busy_cores; records say contended, batch label "
                         "'N busy'); both: quiet, then busy")
    ap.add_argument("--cpu", help="compile glc's models for this CPU (glc --cpu=NAME) and "
                    "measure the FMA peak for it; results go to results/cpu-NAME.json")
    ap.add_argument("--peer-isa", choices=("native", "avx2"), default="native",
                    help="avx2: the peers see a CPU without AVX-512 (see the docstring)")
    ap.add_argument("--out", help="records (default results/latest.json, with --cpu "
                    "results/cpu-NAME.json)")
    ap.add_argument("--md", default=os.path.join(harness.ROOT, "BENCHMARKS.md"),
                    help="where the report goes (default: BENCHMARKS.md at the repo root)")
    a = ap.parse_args()
    if a.peer_isa == "avx2":
        reexec_for_avx2_peers()
    out = a.out or os.path.join(HERE, "results", f"cpu-{a.cpu}.json" if a.cpu else "latest.json")
    harness.GLC_CPU = a.cpu
    iters = a.iters or (5 if a.quick else 10)
    budget = a.budget or (15.0 if a.quick else 60.0)
    set_threads(a.threads)
    wanted = {w.strip().upper() for w in a.workloads.split(",") if w.strip()}
    log = lambda s: print(s, flush=True)
    peak = measure_peak(cpu=a.cpu)
    log(f"fp32 FMA peak: {peak}")
    records = []
    for module in harness.WORKLOADS:
        mod = harness.load(module)
        if wanted and mod.ID not in wanted:
            continue
        log(f"{mod.ID}: {mod.TITLE}")
        modes = {"off": (False,), "on": (True,), "both": (False, True)}[a.contention]
        for cfg in mod.configs(a.quick):
            for busy in modes:
                records += harness.run_workload(module, cfg, a.threads, a.warmup, iters, budget,
                                                not a.no_memory and not busy, log, contended=busy)
    for r in records:
        if r.get("refused"):  # glc rejected the model: no timings
            continue
        r["peak_fraction"] = r["gflops"] / peak["gflops_all" if r["threads"] > 1
                                                else "gflops_1thread"]
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": report.machine(), "peak": peak, "versions": versions(),
            "command": " ".join([os.path.relpath(sys.executable, os.getcwd())] + sys.argv),
            "threads": a.threads, "iters": iters, "warmup": a.warmup, "budget_s": budget,
            "glc_cpu": a.cpu or "host", "peer_isa": a.peer_isa, "contention": a.contention}
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(records, f, indent=1)
    with open(os.path.splitext(out)[0] + "_meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    report.write_all(os.path.dirname(out), a.md)
    log(f"wrote {out} and {a.md}")


if __name__ == "__main__":
    main()
