"""Latency under CPU contention (issue 23, item 4): W6 batch 1 and W7 models timed without
and with a competing busy process on every core (harness.busy_cores), glc and ONNX Runtime
alternating call by call as in every run, on 1 and 2 threads.

    build-venv-bench/bin/python bench/contention.py [--reps 5] [--iters 100] [--out FILE]
        [--baseline-driver OLD/glc] [--cases W6,W7] [--threads 1,2]

Each case is built once per thread count; then `reps` times: a quiet block and a busy
block, each harness.time_alternating over the systems (so both modes and all systems share
the machine's other load alike). The figures per (case, system, threads, mode) are the
medians over the reps of each block's median, mean and p99; slowdown = busy / quiet. Prints a table and
writes the figures as JSON (default bench/results/contention.json).
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
sys.path.insert(0, HERE)

import harness  # noqa: E402

W7_CASE = {"batch": 1, "op": "LSTM", "hidden": 128, "layers": 2}
CASES = [
    ("W6 b1", "w6_grid2d", {"batch": 1}, ("glc", "onnxruntime")),
    ("W7 lstm128x2 T50", "w7_small_rnn", dict(W7_CASE, T=50, label="1-lstm128x2-T50"),
     ("glc", "onnxruntime", "ort-c")),
    ("W7 lstm128x2 T1", "w7_small_rnn", dict(W7_CASE, T=1, label="1-lstm128x2-T1"),
     ("glc", "onnxruntime", "ort-c")),
]


# per block of timed calls; a call shorter than a scheduler time slice mostly runs whole, so
# contention shows in the mean and the tail before it shows in the median
STATS = {"median": np.median, "mean": np.mean, "p99": lambda t: np.percentile(t, 99)}


def measure(module, cfg, systems, threads, reps, iters, warmup, log, baseline=None):
    """{system: {"quiet" | "busy": {stat: [one per rep]}}}."""
    mod = harness.load(module)
    with tempfile.TemporaryDirectory() as wd:
        wl = mod.build(cfg)
        wl.systems = {k: v for k, v in wl.systems.items() if k in systems}
        wl.systems["glc"] = harness.glc_factory(wl, wd, f"{mod.ID}_b{cfg['batch']}")
        if baseline:  # the same model from another build of glc (e.g. before a change)
            wl.systems["glc-base"] = harness.glc_factory(wl, wd, f"{mod.ID}_b{cfg['batch']}_base",
                                                         driver=baseline)
        runners, _ = harness._make_runners(wl, threads, log)
        out = {n: {m: {"median": [], "mean": [], "p99": []} for m in ("quiet", "busy")}
               for n in runners}
        for r in range(reps):
            for mode in ("quiet", "busy"):
                with harness.busy_cores() if mode == "busy" else _nothing():
                    times = harness.time_alternating(runners, warmup, iters, 30.0)
                for n, t in times.items():
                    for stat, f in STATS.items():
                        out[n][mode][stat].append(float(f(t)))
            log(f"    rep {r + 1}: " + ", ".join(
                f"{n} {v['quiet']['median'][-1] * 1e3:.3f}/{v['busy']['median'][-1] * 1e3:.3f}"
                for n, v in out.items()) + " ms")
        for p in runners.values():
            if hasattr(p, "close"):
                p.close()
    return out


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--iters", type=int, default=100, help="timed rounds per block")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--baseline-driver", help="also time the model compiled by this glc "
                    "driver (system glc-base), e.g. a build from before a runtime change")
    ap.add_argument("--cases", default="", help="comma-separated prefixes of case names")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "contention.json"))
    a = ap.parse_args()
    log = lambda s: print(s, flush=True)
    rows = []
    for name, module, cfg, systems in CASES:
        if a.cases and not any(name.startswith(c.strip()) for c in a.cases.split(",")):
            continue
        for th in (int(t) for t in a.threads.split(",")):
            log(f"{name}, {th} thread(s): quiet/busy medians per rep")
            res = measure(module, cfg, systems, th, a.reps, a.iters, a.warmup, log,
                          a.baseline_driver)
            for n, v in res.items():
                row = {"case": name, "system": n, "threads": th, "reps": v}
                for stat in STATS:
                    q, b = (float(np.median(v[m][stat])) for m in ("quiet", "busy"))
                    row[stat] = {"quiet_s": q, "busy_s": b, "slowdown": b / q}
                rows.append(row)
    log("\n| case | threads | system | median quiet / busy ms | slowdown | mean quiet / busy "
        "ms | slowdown | p99 quiet / busy ms |\n|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = [f"{r[s]['quiet_s'] * 1e3:.3f} / {r[s]['busy_s'] * 1e3:.3f}" for s in STATS]
        log(f"| {r['case']} | {r['threads']} | {r['system']} | {cells[0]} | "
            f"{r['median']['slowdown']:.2f}x | {cells[1]} | {r['mean']['slowdown']:.2f}x | "
            f"{cells[2]} |")
    glc = subprocess.run([harness.glc_driver(), "--version"], capture_output=True,
                         text=True).stdout.strip()
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"), "glc": glc, "command": " ".join(sys.argv), "rows": rows}, f,
            indent=1)
    log(f"wrote {a.out}")


if __name__ == "__main__":
    main()
