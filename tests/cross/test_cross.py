#!/usr/bin/python3
"""Cross-compiled models run under an emulator agree with the host's (CTest: aarch64_cross).

For each of six fixtures (an LSTM, a GRU, a ConvLSTM, two MD-LSTMs and a GridLSTM model) and
a wider LSTM made here (its products fill the micro-tiles and run as tasks):
  1. glc MODEL --target=aarch64-linux-gnu --name=m  --emit=obj (or static) and --emit=header;
  2. link tests/cross/driver.c, the object and runtime/pool.c (the thread pool, built here
     with the cross compiler) with `aarch64-linux-gnu-gcc -static`;
  3. run it under qemu-aarch64 on the fixture's inputs (raw bytes written from its .pb
     files), GLC_NUM_THREADS=3: the driver runs the model on the pool and on the calling
     thread alone and requires the same bytes;
  4. compare each output with the host's (`glc run` of the same .onnx, compiled for this
     machine): norm-wise, max|aarch64 - host| / max|host| <= 1e-5 (the inf-norm relative
     error; elementwise relative error means nothing near zero), and with the fixture's
     golden within the conformance runner's |got - want| <= 1e-5 + 1e-4 |want|.

Usage: test_cross.py GLC_DRIVER SOURCE_DIR. Exit 77 (CTest SKIP_RETURN_CODE) with the
reason when the cross compiler or the emulator is missing; scripts/install-deps.sh
installs both (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user). GLC_CROSS_CC and
GLC_CROSS_RUN override the two commands.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

TARGET = "aarch64-linux-gnu"
RTOL_HOST = 1e-5                 # inf-norm relative, against the host's compiled output
ATOL_GOLD, RTOL_GOLD = 1e-5, 1e-4  # elementwise, against the fixture's golden

# (label, fixture directory under the source tree, how the code is handed to the linker).
# The fixtures are small: only MD-LSTM directions run as tasks (mdlstm_dirs: 4 directions,
# runtime extents), and no product fills a micro-tile. "lstm_wide" is made here (make_wide_lstm) for that: its products have full
# tiles, two K blocks and run as tasks on the pool, and its cells run in their epilogue.
CASES = (
    ("lstm", "examples/gridlstm_charmodel/stacked_lstm_6", "obj"),
    ("gru", "tests/fixtures/rnn/gru_bidir_lbr1_only_yh", "static"),
    ("convlstm", "examples/convlstm_video/video_classifier", "obj"),
    ("mdlstm", "examples/mdlstm_diagonal/md_lstm_32", "static"),
    ("mdlstm_dirs", "tests/fixtures/glc_ops/mdlstm2d_graves_d4_extents_s0", "obj"),
    ("gridlstm", "examples/gridlstm_charmodel/grid_lstm_6", "obj"),
    ("lstm_wide", None, "obj"),
)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"aarch64_cross: {' '.join(map(str, cmd))} failed ({r.returncode}):\n"
                 f"{r.stdout}{r.stderr}")
    return r.stdout


def tools():
    cc = os.environ.get("GLC_CROSS_CC", f"{TARGET}-gcc")
    emu = os.environ.get("GLC_CROSS_RUN", "qemu-aarch64")
    missing = [t for t in (cc, emu) if not shutil.which(t)]
    if missing:
        print(f"aarch64_cross: SKIP: {' and '.join(missing)} not found "
              "(scripts/install-deps.sh installs gcc-aarch64-linux-gnu, qemu-user)")
        sys.exit(77)
    return cc, emu


def fixture_io(d):
    """The fixture's inputs and golden outputs, in graph order, as (name, array) lists."""
    def load(kind):
        files = sorted((d / "test_data_set_0").glob(f"{kind}_*.pb"),
                       key=lambda p: int(p.stem.split("_")[1]))
        return [(t.name, numpy_helper.to_array(t)) for t in map(onnx.load_tensor, map(str, files))]
    g = onnx.load(str(d / "model.onnx")).graph
    init = {t.name for t in g.initializer}
    ins, outs = load("input"), load("output")
    assert [n for n, _ in ins] == [i.name for i in g.input if i.name not in init], d
    assert [n for n, _ in outs] == [o.name for o in g.output], d
    return ins, outs


def make_wide_lstm(d):
    """A forward LSTM, seq 5, batch 8, input 300, hidden 128 (the gate product of a step:
    8 x 512 x 128, 1 MFLOP, split into tasks; the input projection 40 x 512 x 300, two K
    blocks), in the fixture layout; golden from a float64 numpy LSTM (ONNX gate order
    i, o, f, c; sigmoid, tanh, tanh)."""
    from onnx import TensorProto, helper
    T, N, I, H = 5, 8, 300, 128
    rng = np.random.default_rng(19)
    x = rng.uniform(-1, 1, (T, N, I)).astype(np.float32)
    w = rng.uniform(-0.1, 0.1, (1, 4 * H, I)).astype(np.float32)
    r = rng.uniform(-0.1, 0.1, (1, 4 * H, H)).astype(np.float32)
    b = rng.uniform(-0.1, 0.1, (1, 8 * H)).astype(np.float32)
    sig = lambda v: 1 / (1 + np.exp(-v))
    h, c, ys = np.zeros((N, H)), np.zeros((N, H)), []
    for t in range(T):
        g = x[t] @ w[0].T.astype(np.float64) + h @ r[0].T + b[0, :4 * H] + b[0, 4 * H:]
        gi, go, gf, gc = np.split(g, 4, axis=1)
        c = sig(gf) * c + sig(gi) * np.tanh(gc)
        h = sig(go) * np.tanh(c)
        ys.append(h)
    gold = {"Y": np.stack(ys)[:, None], "Y_h": h[None], "Y_c": c[None]}
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h", "Y_c"], hidden_size=H)
    graph = helper.make_graph(
        [node], "lstm_wide", [helper.make_tensor_value_info("X", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, v.shape) for k, v in gold.items()],
        [numpy_helper.from_array(a, n) for a, n in ((w, "W"), (r, "R"), (b, "B"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 7
    (d / "test_data_set_0").mkdir(parents=True)
    onnx.save(model, str(d / "model.onnx"))
    onnx.save_tensor(numpy_helper.from_array(x, "X"), str(d / "test_data_set_0/input_0.pb"))
    for i, (k, v) in enumerate(gold.items()):
        onnx.save_tensor(numpy_helper.from_array(v.astype(np.float32), k),
                         str(d / f"test_data_set_0/output_{i}.pb"))


def host_outputs(glc, model, ins, work):
    (work / "host").mkdir()
    args = []
    for name, x in ins:
        np.save(work / f"host_{name}.npy", x)
        args += ["--input", f"{name}={work / f'host_{name}.npy'}"]
    run([glc, "run", model, *args, "--output-dir", work / "host"])
    return work / "host"


def build(glc, cc, src, model, emit, pool, work):
    code = work / ("m.o" if emit == "obj" else "libm.a")
    base = [glc, model, f"--target={TARGET}", "--name=m"]
    run(base + [f"--emit={emit}", "-o", code])
    run(base + ["--emit=header", "-o", work / "m.h"])
    exe = work / "driver"
    run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", "-static", "-pthread",
         f"-I{work}", f"-I{src / 'runtime/include'}", src / "tests/cross/driver.c", code, pool,
         "-lm", "-o", exe])
    return exe


def compare(label, outs, host_dir, work):
    """The largest inf-norm relative error against the host and elementwise error against
    the golden (|got - want| / (atol + rtol |want|), <= 1 passes) over the outputs."""
    worst = gworst = 0.0
    for i, (name, gold) in enumerate(outs):
        got = np.fromfile(work / "out" / f"output_{i}.bin", gold.dtype).reshape(gold.shape)
        host = np.load(host_dir / f"{name}.npy")
        scale = float(np.max(np.abs(host))) if host.size else 0.0
        err = float(np.max(np.abs(got.astype(np.float64) - host))) if host.size else 0.0
        rel = err / scale if scale > 0 else err
        worst = max(worst, rel)
        if not rel <= RTOL_HOST:
            sys.exit(f"aarch64_cross: {label}: output {name}: max|aarch64 - host| / max|host| "
                     f"= {rel:.3g} > {RTOL_HOST}")
        np.testing.assert_allclose(got, gold, rtol=RTOL_GOLD, atol=ATOL_GOLD,
                                   err_msg=f"{label}: output {name} against the golden")
        bound = ATOL_GOLD + RTOL_GOLD * np.abs(gold.astype(np.float64))
        gworst = max(gworst, float(np.max(np.abs(got - gold.astype(np.float64)) / bound)))
    return worst, gworst


def check(glc, cc, emu, src, pool, label, rel, emit, tmp):
    t0, work = time.monotonic(), tmp / label
    if rel is None:
        make_wide_lstm(tmp / "fixtures" / label)
    d = src / rel if rel else tmp / "fixtures" / label
    (work / "in").mkdir(parents=True)
    (work / "out").mkdir()
    ins, outs = fixture_io(d)
    for i, (_, x) in enumerate(ins):
        np.ascontiguousarray(x).astype(x.dtype.newbyteorder("<")).tofile(work / "in" / f"input_{i}.bin")
    model = d / "model.onnx"
    host_dir = host_outputs(glc, model, ins, work)
    exe = build(glc, cc, src, model, emit, pool, work)
    env = dict(os.environ, GLC_NUM_THREADS="3")
    said = run([emu, exe, work / "in", work / "out"], env=env, timeout=600).strip()
    worst, gworst = compare(label, outs, host_dir, work)
    print(f"aarch64_cross: {label:11s} {rel or '(made here)'} (--emit={emit}): {len(outs)} "
          f"outputs; vs host {worst:.2e} (inf-norm relative), vs golden {gworst:.2e} of the "
          f"tolerance; {time.monotonic() - t0:.1f} s\n  {said}", flush=True)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: test_cross.py GLC_DRIVER SOURCE_DIR")
    glc, src = os.path.abspath(sys.argv[1]), Path(sys.argv[2]).resolve()
    cc, emu = tools()
    with tempfile.TemporaryDirectory(prefix="glc-cross-") as t:
        tmp = Path(t)
        pool = tmp / "pool.o"
        run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{src / 'runtime/include'}",
             "-c", src / "runtime/pool.c", "-o", pool])
        for label, rel, emit in CASES:
            check(glc, cc, emu, src, pool, label, rel, emit, tmp)
    print(f"aarch64_cross: {len(CASES)} passed, 0 failed")


if __name__ == "__main__":
    main()
