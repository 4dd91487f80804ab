"""Symbolic dims at no cost (issue 20, item 3): one model compiled with T and batch symbolic,
run at several shapes, against the same model compiled for each shape.

    build-venv-bench/bin/python bench/symbolic.py [--workloads W5,W1] [--iters N]

For each workload the .onnx with dim_params T and N is compiled once (`glc m.onnx`: the dims
stay symbolic), and once per shape with `glc m.onnx --shape x=...` (the dims bound at compile
time: the code is the static model's). Per shape, both run on the same input with 2 threads
(`glc.load(..., threads=2)`, as harness.py runs glc), their outputs must agree (allclose),
then harness.time_alternating times them in alternating rounds (order rotated, primer calls
for short ones) and the medians are compared: throughput = static median / symbolic median.

Writes bench/results/symbolic.json (the records and the command) and the section
"Symbolic dims" of BENCHMARKS.md (report.symbolic_section; run.py's report keeps it).
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
import report  # noqa: E402


def _w5():
    mod = harness.load("w5_lstm")
    rng = np.random.default_rng(5)
    ws = [mod.common.lstm_weights(rng, mod.I if k == 0 else mod.H, mod.H)
          for k in range(mod.LAYERS)]
    return {"model": lambda t, n: mod._onnx(ws, n, t),
            "input": lambda rng, t, n: rng.standard_normal((t, n, mod.I)).astype(np.float32),
            "flops": lambda t, n: 2.0 * t * n * 4 * mod.H * (mod.I + mod.H) * mod.LAYERS}


def _w1():
    mod = harness.load("w1_convlstm")
    rng = np.random.default_rng(1)
    ws = [mod.common.convlstm_weights(rng, mod.C if k == 0 else mod.F, mod.F, mod.K)
          for k in range(mod.LAYERS)]
    S = mod.S
    return {"model": lambda t, n: mod._onnx(ws, n, t),
            "input": lambda rng, t, n: rng.standard_normal((n, t, mod.C, S, S)).astype(
                np.float32),
            "flops": lambda t, n: sum(2.0 * n * t * S * S * 4 * mod.F * mod.K ** 2 *
                                      ((mod.C if k == 0 else mod.F) + mod.F)
                                      for k in range(mod.LAYERS))}


# workload -> (title, builder, shapes as (T, batch))
WORKLOADS = {
    "W5": ("4-layer ONNX LSTM, hidden 512, input 512 (bench/workloads/w5_lstm.py); "
           "x (T, N, 512)", _w5, [(100, 64), (100, 1), (7, 3), (1000, 1)]),
    "W1": ("4 stacked ConvLSTM, F=128, k=5, 16 ch, 16x16 (bench/workloads/w1_convlstm.py); "
           "x (N, T, 16, 16, 16)", _w1, [(10, 1), (10, 8), (3, 2), (1, 1)]),
}


def _compile(onnx_path, so_path, extra=()):
    subprocess.run([harness.glc_driver(), onnx_path, "-o", so_path, *extra], check=True)


def run_workload(wid, threads, warmup, iters, budget_s, workdir, log):
    import glc
    import onnx
    title, builder, shapes = WORKLOADS[wid]
    w = builder()
    sym_onnx = os.path.join(workdir, wid + "_sym.onnx")
    onnx.save(w["model"]("T", "N"), sym_onnx)
    sym_so = os.path.join(workdir, wid + "_sym.so")
    _compile(sym_onnx, sym_so)
    records = []
    for t, n in shapes:
        x = w["input"](np.random.default_rng(100 * t + n), t, n)
        static_so = os.path.join(workdir, f"{wid}_T{t}_N{n}.so")
        _compile(sym_onnx, static_so, ["--shape", "x=" + "x".join(map(str, x.shape))])
        runners = {"static": glc.load(static_so, threads=threads).bind({"x": x}),
                   "symbolic": glc.load(sym_so, threads=threads).bind({"x": x})}
        ys = {k: np.array(r()[0], copy=True) for k, r in runners.items()}
        if not np.allclose(ys["symbolic"], ys["static"], rtol=1e-4, atol=1e-5):
            raise RuntimeError(f"{wid} T={t} N={n}: symbolic and static outputs differ "
                               f"(max rel err {harness.max_rel_err(ys['symbolic'], ys['static'])})")
        times = harness.time_alternating(runners, warmup, iters, budget_s)
        med = {k: float(np.median(v)) for k, v in times.items()}
        rec = {"workload": wid, "title": title, "T": t, "batch": n,
               "static_s": med["static"], "symbolic_s": med["symbolic"],
               "throughput": med["static"] / med["symbolic"],
               "static_min_s": min(times["static"]), "symbolic_min_s": min(times["symbolic"]),
               "timed_calls": {k: len(v) for k, v in times.items()},
               "gflop": w["flops"](t, n) / 1e9,
               "max_rel_err": harness.max_rel_err(ys["symbolic"], ys["static"])}
        log(f"  {wid} T={t:<5} N={n:<3} static {med['static'] * 1e3:10.3f} ms  symbolic "
            f"{med['symbolic'] * 1e3:10.3f} ms  throughput {100 * rec['throughput']:6.1f} %  "
            f"(minima {100 * rec['static_min_s'] / rec['symbolic_min_s']:5.1f} %, "
            f"{rec['timed_calls']['static']} calls)")
        records.append(rec)
        del runners
    return records


def _loadavg():
    with open("/proc/loadavg") as f:
        return " / ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=11)
    ap.add_argument("--budget", type=float, default=20.0, help="seconds of timed calls per "
                    "variant and shape (at least 3 calls)")
    ap.add_argument("--no-write", action="store_true", help="print only")
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)
    records, load0 = [], _loadavg()
    with tempfile.TemporaryDirectory() as wd:
        for wid in a.workloads.split(","):
            records += run_workload(wid, a.threads, a.warmup, a.iters, a.budget, wd, print)
    if a.no_write:
        return
    meta = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
            "machine": report.machine(), "threads": a.threads, "warmup": a.warmup,
            "iters": a.iters, "budget_s": a.budget, "load": [load0, _loadavg()],
            "command": "build-venv-bench/bin/python bench/symbolic.py " + " ".join(sys.argv[1:])}
    res = os.path.join(HERE, "results", "symbolic.json")
    with open(res, "w") as f:
        json.dump({"meta": meta, "records": records}, f, indent=1)
    report.splice_symbolic_section(os.path.join(harness.ROOT, "BENCHMARKS.md"),
                                   os.path.dirname(res))


if __name__ == "__main__":
    main()
