"""glc against TensorFlow, ONNX Runtime and PyTorch: one command, every workload.

    bench/setup.sh                      # once: the venv with the pinned peers
    build-venv-bench/bin/python bench/run.py [--quick] [--workloads W5,W6] [--iters N]

Writes bench/results/latest.json (a list of records, one per workload x system x batch;
see harness.py for the fields and how they are measured), latest_meta.json (machine,
peak, versions, command), plots under bench/results/, and
BENCHMARKS.md at the repository root. --quick runs batch 1 only with fewer calls.
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


def measure_peak(runs=5):
    """Builds and runs bench/peak/fma_peak.c `runs` times; returns its JSON with the best
    figures. The host is shared: one run can lose a core to another tenant and report the
    2-thread peak as the 1-thread one, which would inflate every % of peak."""
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "fma_peak")
        subprocess.run(["cc", "-O2", "-march=native", "-pthread",
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
    ap.add_argument("--out", default=os.path.join(HERE, "results", "latest.json"))
    ap.add_argument("--md", default=os.path.join(harness.ROOT, "BENCHMARKS.md"),
                    help="where the report goes (default: BENCHMARKS.md at the repo root)")
    a = ap.parse_args()
    iters = a.iters or (5 if a.quick else 10)
    budget = a.budget or (15.0 if a.quick else 60.0)
    set_threads(a.threads)
    wanted = {w.strip().upper() for w in a.workloads.split(",") if w.strip()}
    log = lambda s: print(s, flush=True)
    peak = measure_peak()
    log(f"fp32 FMA peak: {peak}")
    records = []
    for module in harness.WORKLOADS:
        mod = harness.load(module)
        if wanted and mod.ID not in wanted:
            continue
        log(f"{mod.ID}: {mod.TITLE}")
        for cfg in mod.configs(a.quick):
            records += harness.run_workload(module, cfg, a.threads, a.warmup, iters, budget,
                                            not a.no_memory, log)
    for r in records:
        r["peak_fraction"] = r["gflops"] / peak["gflops_all" if r["threads"] > 1
                                                else "gflops_1thread"]
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": report.machine(), "peak": peak, "versions": versions(),
            "command": " ".join([os.path.relpath(sys.executable, os.getcwd())] + sys.argv),
            "threads": a.threads, "iters": iters, "warmup": a.warmup, "budget_s": budget}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(records, f, indent=1)
    with open(os.path.splitext(a.out)[0] + "_meta.json", "w") as f:
        json.dump(meta, f, indent=1)
    report.write(meta, records, os.path.dirname(a.out), a.md)
    log(f"wrote {a.out} and {a.md}")


if __name__ == "__main__":
    main()
