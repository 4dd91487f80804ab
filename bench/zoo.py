"""Per-call latency of the published models of the zoo (issue 24, item 4): glc against ONNX
Runtime's CPU provider, batch 1 (each model's first size in tests/zoo/models.json), 1 and 2
threads.

    build-venv-bench/bin/python bench/zoo.py [--iters N] [--budget S] [NAME ...]

Each cached model (tests/zoo/fetch_models.py) is compiled by the glc driver as check_zoo.py
does (no shape flag: its symbolic dims stay symbolic; the manifest's --bind/--dim only) and
run through the Python package (`glc.load(so, threads=T)`, inputs bound once); ONNX Runtime
runs the same file (intra-op threads T, inter-op 1, all graph optimisations). Both get the
inputs check_zoo.py makes for that size; their outputs must agree (check_zoo's tolerance)
before anything is timed. harness.time_alternating times them in alternating rounds (order
rotated, primer calls for short ones); p50 and p99 are over the timed calls (with fewer than
100 calls, p99 is the slowest). A model glc refuses is listed with its diagnostic. Both sides
pay Python's call overhead (a few µs).

Writes bench/results/zoo.json and its section of BENCHMARKS.md (report.zoo_section; run.py's
report keeps it); with --out elsewhere, only that file and the table on stdout.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "zoo"))
sys.path.insert(0, os.path.join(ROOT, "python"))

import check_zoo  # noqa: E402
import harness  # noqa: E402
import report  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "results", "zoo.json")


def runners(so, path, feeds, bound, threads):
    """(glc's and ORT's runners, ORT's output names); the inputs glc has bound at compile
    time (check_zoo.compile_flags) are fed to ORT only."""
    import glc
    import onnxruntime as ort
    glc_feeds = {k: v for k, v in feeds.items() if k not in bound}
    run_glc = glc.load(so, threads=threads).bind(glc_feeds)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return {"glc": lambda: run_glc(), "onnxruntime": lambda: sess.run(names, feeds)}, names


def check_outputs(r, names, tolerance):
    """glc's outputs against ONNX Runtime's, within the model's own tolerance in models.json
    (the quantised LSTMs: tests/zoo/check_zoo.py), else the zoo's 1e-4 / 1e-5."""
    got, ref = r["glc"](), r["onnxruntime"]()
    got = [got[n] for n in names] if isinstance(got, dict) else list(got)
    rtol, atol = tolerance.get("rtol", check_zoo.RTOL), tolerance.get("atol", check_zoo.ATOL)
    for n, g, w in zip(names, got, ref):
        ok, rel, where = check_zoo.compare(np.asarray(g), w, rtol, atol)
        if not ok:
            raise RuntimeError(f"output {n} differs from ONNX Runtime: {where}")


def stats(ts):
    ts = sorted(t * 1e3 for t in ts)
    p99 = ts[-1] if len(ts) < 100 else float(np.percentile(ts, 99))
    return {"p50_ms": float(np.median(ts)), "p99_ms": p99, "calls": len(ts)}


def bench_model(m, path, glc_drv, work, args):
    so = os.path.join(work, m["name"] + ".so")
    flags, bound, _ = check_zoo.compile_flags(m, work)
    p = subprocess.run([glc_drv] + flags + [path, "-o", so], capture_output=True, text=True)
    if p.returncode:
        return {"name": m["name"], "refused": check_zoo.one_line(p.stderr)}
    size = m["sizes"][0]
    rec = {"name": m["name"], "size": size, "threads": {}}
    feeds = check_zoo.make_feeds(m, size, seed=0)
    for t in (1, 2):
        r, names = runners(so, path, feeds, bound, t)
        check_outputs(r, names, m.get("tolerance", {}))
        times = harness.time_alternating(r, 3, args.iters, args.budget)
        rec["threads"][t] = {k: stats(v) for k, v in times.items()}
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per system and setting")
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    with open(os.path.join(ROOT, "tests", "zoo", "models.json")) as f:
        manifest = json.load(f)
    cache = os.environ.get("GLC_ZOO_CACHE") or os.path.expanduser("~/.cache/glc-zoo")
    recs = []
    with tempfile.TemporaryDirectory() as work:
        for m in manifest["models"]:
            path = os.path.join(cache, "models", m["name"] + ".onnx")
            if (args.names and m["name"] not in args.names) or not os.path.exists(path):
                continue
            recs.append(bench_model(m, path, harness.glc_driver(), work, args))
            print(report.zoo_row(json.loads(json.dumps(recs[-1]))), flush=True)
    head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True).stdout.strip()
    with open(args.out, "w") as f:
        json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                   "glc": head, "command": " ".join(sys.argv), "records": recs}, f, indent=1)
    lines = report.zoo_section(os.path.dirname(args.out), os.path.basename(args.out))
    print("\n".join(lines))
    if args.out == DEFAULT_OUT:
        report.splice_section(os.path.join(ROOT, "BENCHMARKS.md"), report.ZOO_HEADING, lines)


if __name__ == "__main__":
    main()
