#!/usr/bin/env python3
"""Checks the model zoo (models.json) against glc: for each model, `glc MODEL.onnx -o MODEL.so`
with no shape flag; when it compiles, the one .so runs at every listed size through the glc
Python package and is compared with ONNX Runtime. What the manifest fixes is passed at compile
time: an input with a "value" and a static shape is bound to it (`--bind NAME=FILE.npy`, and
not fed at run time: Silero's sample rate, which selects an If branch), and a model's "dims"
(the sizes its contract fixes) become `--dim NAME=N`.

    VENV/bin/python tests/zoo/check_zoo.py [--glc build/glc] [--cache DIR]
        [--work DIR] [--fetch] [--markdown FILE] [NAME ...]

Needs numpy, onnx and onnxruntime (build-venv-bench has them). Models come from the cache that
fetch_models.py fills ($GLC_ZOO_CACHE or ~/.cache/glc-zoo); with --fetch missing ones are
downloaded first, otherwise a model not in the cache is reported as "not cached". With no model
in the cache at all, or without onnx and onnxruntime, the exit status is 77 (a CTest skip); else 0
when every cached model is either blocked on missing operators, refused with the diagnostic its
"blocked_on" names (a known gap, with the issue that closes it), or compiles and matches; 1 when
one fails for another reason (another refusal, a crash, a wrong answer). A model that compiles
although it has "blocked_on" is checked like any other and reported, so the entry gets updated.

A size matches when every output element has |glc - ort| <= ATOL + RTOL * |ort|, RTOL = 1e-4,
ATOL = 1e-5 (outputs of these models are probabilities, logits and states of magnitude ~1), or
the model's own "tolerance" in models.json, which says why (ORT's quantised LSTM rounds its
activations to uint8; quantized_error.py measures what that costs).
The ops a model waits on are the op types in it (subgraphs included) that ir/ops.def has no row
for, besides the importer's Constant; glc's own diagnostic is printed too. The table's "ops of
interest" are the model's recurrent, control-flow and quantised ops and its main compute ops.
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "python"))

import fetch_models  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
IMPORTER_OPS = {"Constant"}   # folded by the importer, no ops.def row
INTEREST = ["LSTM", "GRU", "RNN", "com.microsoft::DynamicQuantizeLSTM", "If", "Loop", "Scan",
            "Conv", "ConvTranspose", "ConvInteger", "com.microsoft::FusedConv", "Gemm", "MatMul",
            "MatMulInteger", "Einsum", "Softmax", "LayerNormalization", "Resize", "Pad", "Tile"]


def glc_ops():
    """The (domain, op type) pairs ir/ops.def declares (OP, EW and RED rows)."""
    ops = set()
    with open(os.path.join(SRC, "ir", "ops.def")) as f:
        for line in f:
            m = re.match(r'OP\(\s*\w+,\s*"([^"]*)",\s*"(\w+)"', line)
            if m:
                ops.add((m.group(1), m.group(2)))
            m = re.match(r'(?:EW|RED)\(\s*\w+,\s*"(\w+)"', line)
            if m:
                ops.add(("", m.group(1)))
    return ops


def model_ops(model):
    """{(domain, op type): node count} of the model, subgraphs (If/Loop/Scan bodies) included."""
    import onnx
    found = {}

    def walk(g):
        for n in g.node:
            key = (n.domain if n.domain not in ("ai.onnx",) else "", n.op_type)
            found[key] = found.get(key, 0) + 1
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    walk(a.g)
                for sg in a.graphs:
                    walk(sg)
    walk(model.graph)
    return found


def op_label(domain, op):
    return op if domain == "" else f"{domain}::{op}"


def ops_of_interest(counts):
    named = {op_label(d, op): k for (d, op), k in counts.items()}
    return ", ".join(f"{op} x{named[op]}" if named[op] > 1 else op for op in INTEREST if op in named)


def symbolic_dims(man_model):
    dims = []
    for name, spec in man_model["inputs"].items():
        if any(isinstance(d, str) for d in spec["shape"]):
            dims.append(f"{name}[{','.join(str(d) for d in spec['shape'])}]")
    return " ".join(dims)


def make_feeds(man_model, size, seed):
    rng = np.random.default_rng(seed)
    feeds = {}
    for name, spec in man_model["inputs"].items():
        shape = tuple(size[d] if isinstance(d, str) else d for d in spec["shape"])
        dt = np.dtype(spec["dtype"])
        if "value" in spec:
            feeds[name] = np.full(shape, spec["value"], dtype=dt)
        else:
            lo, hi = spec["range"]
            feeds[name] = rng.uniform(lo, hi, size=shape).astype(dt)
    return feeds


def compile_flags(man_model, work):
    """(--bind and --dim flags, names of the bound inputs, the flags as the table shows them)
    for the values the manifest fixes."""
    flags, bound, shown = [], set(), []
    for name, spec in man_model["inputs"].items():
        if "value" not in spec or any(isinstance(d, str) for d in spec["shape"]):
            continue
        path = os.path.join(work, f"{man_model['name']}.{name}.npy")
        np.save(path, np.full(tuple(spec["shape"]), spec["value"], dtype=np.dtype(spec["dtype"])))
        flags += ["--bind", f"{name}={path}"]
        bound.add(name)
        shown.append(f"--bind {name}={spec['value']}")
    for param, value in man_model.get("dims", {}).items():
        flags += ["--dim", f"{param}={value}"]
        shown.append(f"--dim {param}={value}")
    return flags, bound, " ".join(shown)


def one_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def run_glc(cmd, timeout, mem_gb):
    def limit():  # a runaway compile fails alone instead of waking the OOM killer
        resource.setrlimit(resource.RLIMIT_AS, (mem_gb << 30, mem_gb << 30))
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return None, f"timed out: no result after {timeout} s"
    if r.returncode < 0:
        return r.returncode, f"crashed (signal {-r.returncode})"
    msg = one_line(r.stderr)
    return r.returncode, msg[len(cmd[-3]) + 2:] if msg.startswith(cmd[-3] + ": ") else msg


def compare(got, ref, rtol=RTOL, atol=ATOL):
    """(ok within atol + rtol |ort|, worst error relative to ATOL / RTOL + |ort| (the same
    measure for every model), description of the worst element)."""
    if got.shape != ref.shape:
        return False, float("inf"), f"shape {got.shape} vs ort {ref.shape}"
    if got.size == 0:
        return True, 0.0, ""
    g, r = got.astype(np.float64), ref.astype(np.float64)
    err = np.abs(g - r)
    excess = err - (atol + rtol * np.abs(r))
    i = np.unravel_index(np.argmax(excess), err.shape)
    rel = float(np.max(err / (ATOL / RTOL + np.abs(r))))
    return bool(excess[i] <= 0), rel, f"at {tuple(int(k) for k in i)}: glc {g[i]:.7g} ort {r[i]:.7g}"


def check_model(m, path, args, have):
    import onnx
    import onnxruntime as ort
    import glc

    res = {"name": m["name"], "package": f"{m['package']}=={args.wheels[m['package']]['version']}",
           "what": m["what"], "symbolic": symbolic_dims(m), "waits_on": [], "sizes": [],
           "issue": m.get("issue", "")}
    counts = model_ops(onnx.load(path))
    res["ops"] = ops_of_interest(counts)
    res["waits_on"] = sorted(op_label(d, op) for d, op in set(counts) - have
                             if not (d == "" and op in IMPORTER_OPS))
    so = os.path.join(args.work, m["name"] + ".so")
    flags, bound, shown = compile_flags(m, args.work)
    rc, msg = run_glc([args.glc] + flags + [path, "-o", so], args.timeout, args.mem_gb)
    if rc != 0:
        res["status"] = msg
        known = m.get("blocked_on")
        res["kind"] = ("ops" if "unsupported operators" in msg else
                       "crash" if msg.startswith(("crashed", "timed out")) else
                       "known" if known and known in msg else "refused")
        res["status"] = "not compiled: " + msg
        res["repro"] = " ".join([args.glc] + flags + [path, "-o", so])
        return res
    lib = glc.load(so)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    out_names = [o.name for o in sess.get_outputs()]
    tol = m.get("tolerance", {})
    rtol, atol = tol.get("rtol", RTOL), tol.get("atol", ATOL)
    ok_all = True
    for k, size in enumerate(m["sizes"]):
        feeds = make_feeds(m, size, seed=k)
        label = ",".join(f"{d}={v}" for d, v in size.items()) or "static shapes"
        try:
            got = lib(**{k: v for k, v in feeds.items() if k not in bound})
        except Exception as e:  # glc.GlcError: the runtime's one-line refusal
            res["sizes"].append((label, False, f"glc run: {e}"))
            ok_all = False
            continue
        ref = dict(zip(out_names, sess.run(out_names, feeds)))
        worst, notes, ok = 0.0, [], True
        res.setdefault("worst", 0.0)
        for name in out_names:
            o_ok, rel, where = compare(np.asarray(got[name]), ref[name], rtol, atol)
            worst = max(worst, rel)
            if not o_ok:
                ok = False
                notes.append(f"{name} {where}")
        res["worst"] = max(res["worst"], worst)
        res["sizes"].append((label, ok, f"max rel err {worst:.2e}" + ("; " + "; ".join(notes) if notes else "")))
        ok_all &= ok
    res["kind"] = "match" if ok_all else "wrong"
    compiled = f"compiled with `{shown}`" if shown else "compiled"
    res["status"] = f"{compiled}, " + ("matches ORT at " if ok_all else "DIFFERS from ORT at ") + \
        "; ".join(f"{l} ({'ok' if o else 'bad'})" for l, o, _ in res["sizes"])
    if tol:
        res["status"] += f" within its tolerance (atol {atol:g}, rtol {rtol:g}: see models.json)"
    if m.get("blocked_on"):
        res["status"] += " (now compiles: drop blocked_on from models.json)"
    return res


def table(results):
    rows = ["| model | package | what it is | ops of interest | symbolic dims | status | "
            "max rel err | ops waited on | closed by |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        status = r["status"].replace("|", "\\|")
        worst = f"{r['worst']:.1e}" if r.get("worst") is not None else "-"
        issue = f"issue {r['issue']}" if r["issue"] else "-"
        rows.append(f"| {r['name']} | {r['package']} | {r['what']} | {r['ops']} | "
                    f"`{r['symbolic'] or '-'}` | {status} | {worst} | "
                    f"{', '.join(r['waits_on']) or '-'} | {issue} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--glc", default=os.environ.get("GLC_DRIVER", os.path.join(SRC, "build", "glc")))
    ap.add_argument("--cache")
    ap.add_argument("--work", help="where the .so files go (default: a temporary directory)")
    ap.add_argument("--fetch", action="store_true", help="download models missing from the cache")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per glc command")
    ap.add_argument("--mem-gb", type=int, default=6, help="address-space limit of each glc command, GiB")
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args()
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        print(f"SKIP: {sys.executable} lacks onnx or onnxruntime ({e})", file=sys.stderr)
        return 77
    args.glc = os.path.abspath(args.glc)
    os.environ["GLC_DRIVER"] = args.glc
    man = fetch_models.load_manifest()
    args.wheels = man["wheels"]
    paths, missing = fetch_models.fetch(args.names, args.cache, offline=not args.fetch)
    if not paths:
        print("SKIP: no zoo model in the cache (run tests/zoo/fetch_models.py)", file=sys.stderr)
        return 77
    tmp = None
    if not args.work:
        tmp = tempfile.TemporaryDirectory(prefix="glc-zoo-")
        args.work = tmp.name
    os.makedirs(args.work, exist_ok=True)
    have = glc_ops()
    results = []
    for m in man["models"]:
        if m["name"] not in paths:
            continue
        r = check_model(m, paths[m["name"]], args, have)
        results.append(r)
        print(f"{r['name']}: {r['status']}", flush=True)
        for label, ok, note in r["sizes"]:
            print(f"    {label}: {'ok' if ok else 'BAD'} ({note})")
        if r["waits_on"]:
            print(f"    waits on: {', '.join(r['waits_on'])}")
        if r["kind"] in ("crash", "refused", "known"):
            print(f"    repro: {r['repro']}")
    for p in missing:
        print(f"not cached: {p}")
    print()
    print(table(results))
    print(f"\ncompare: |glc - ort| <= {ATOL:g} + {RTOL:g} * |ort| per element")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table(results) + "\n")
    bad = [r for r in results if r["kind"] not in ("match", "ops", "known")]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
