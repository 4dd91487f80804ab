"""The benchmark harness: build each workload once, run glc and every peer alternating
on the same inputs, check that they agree, and record the timings.

A workload module (bench/workloads/wN_*.py) defines
    ID, TITLE, PEERS (text for BENCHMARKS.md: how each peer is built and why it is its best),
    configs(quick) -> list of dicts, each with at least "batch",
    build(cfg) -> Workload.
Weights and inputs come from numpy's default_rng seeded per workload, so every system
(and every memory probe process) sees the same numbers.

Timing: after `warmup` untimed calls per system, `iters` rounds; each round calls every
system once, in an order rotated per round, timing each call alone with perf_counter. A
system whose calls add up to more than `budget_s` stops early (at least 3 timed calls),
so a slow system cannot stall the run; the record says how many calls were timed.

Agreement: max_rel_err = max|y - y_glc| / max|y_glc| over the compared output (a norm-wise
relative error, robust to outputs that cross zero). Where glc has no output (it refused the
model), against the workload's REFERENCE system (else the first that ran), named in the
record's max_rel_err_ref.

Refusal: when the glc driver rejects a workload's model (W8's Loops, until glc compiles them),
the run records {"refused": "refused: <glc's diagnostic>"} for that system instead of timings,
and goes on with the others.

Memory: peak_rss_mb comes from a separate process per (workload, system, batch) that
imports only what that system needs, builds it, runs it warmup + 3 times and reports its
peak resident set size (VmHWM of /proc/self/status): what running that model from Python
costs, the framework included.
"""
import contextlib
import ctypes
import dataclasses
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))  # the glc package, from the source tree
# The workload modules present, in order: bench/workloads/w<N>_<name>.py.
WORKLOADS = sorted(f[:-3] for f in os.listdir(os.path.join(os.path.dirname(__file__), "workloads"))
                   if f.startswith("w") and f[1].isdigit() and f.endswith(".py"))


@dataclasses.dataclass
class Workload:
    feeds: dict          # ONNX input name -> array (glc's and ORT's inputs)
    flops: float         # per call
    systems: dict        # name -> factory(threads) -> run() returning the compared output
    onnx_model: object = None  # onnx.ModelProto compiled by glc (and run by ORT)
    glc_output: int = 0  # which glc output is compared
    notes: dict = dataclasses.field(default_factory=dict)  # system -> variant text


class GlcRefused(Exception):
    """The glc driver rejected a model; the message is its diagnostic."""


def glc_driver():
    if os.environ.get("GLC_DRIVER"):
        return os.environ["GLC_DRIVER"]
    for d in ("build", "build-release"):
        p = os.path.join(ROOT, d, "glc")
        if os.path.exists(p):
            return p
    raise RuntimeError("glc driver not found: build it first (scripts/example.sh builds build/glc)")


# glc's systems: the default compile, and opt-in fast paths a workload asks for by listing
# them in its GLC_VARIANTS (their accuracy is their max_rel_err against "glc")
# glc-c: the default compile, each call timed in C (bench/peers/glc_timer.c), as ort-c times
# ONNX Runtime: no Python in the timed region (W7's microsecond calls)
GLC_VARIANTS = {"glc": [], "glc-winograd": ["--winograd"], "glc-bf16w": ["--bf16-weights"],
                "glc-bf16": ["--bf16"], "glc-c": []}
_timer = {}


def glc_timer():
    """bench/peers/glc_timer.c built once per process into a shared library (ctypes)."""
    if "lib" not in _timer:
        d = tempfile.mkdtemp(prefix="glc-timer-")
        so = os.path.join(d, "glc_timer.so")
        src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers", "glc_timer.c")
        subprocess.run(["cc", "-std=c11", "-O2", "-shared", "-fPIC", src, "-o", so], check=True)
        lib = ctypes.CDLL(so)
        lib.glc_timer_call.restype = ctypes.c_double
        lib.glc_timer_call.argtypes = [ctypes.c_void_p] * 5 + [ctypes.c_uint64, ctypes.c_void_p,
                                                               ctypes.c_int]
        _timer["lib"] = lib
    return _timer["lib"]


def glc_c_runner(so_path, wl, threads):
    """The "glc-c" runner: run() calls the model (for its output), timed(primers) times one
    call in C (glc_timer_call) on the same prepared buffers."""
    import glc
    model = glc.load(so_path, threads=1)  # its own pool below: the call's par is ours
    arrays, outs, ws, ws_size, in_ptrs, out_ptrs, (dims, in_dims) = model._prepare(wl.feeds)
    fn = ctypes.cast(model._lib.glc_model_invoke_with, ctypes.c_void_p).value
    par, pool, lib = None, ctypes.c_void_p(), model._lib
    if threads > 1:
        lib.glc_rt_pool_create.restype = ctypes.c_int
        lib.glc_rt_pool_create.argtypes = [ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p)]
        lib.glc_rt_pool_parallel.restype = ctypes.c_void_p
        lib.glc_rt_pool_parallel.argtypes = [ctypes.c_void_p]
        if lib.glc_rt_pool_create(threads, ctypes.byref(pool)) != 0:
            raise RuntimeError(f"cannot start {threads} threads")
        par = lib.glc_rt_pool_parallel(pool)
    timer = glc_timer()
    args = (fn, ctypes.addressof(in_ptrs), ctypes.addressof(in_dims), ctypes.addressof(out_ptrs),
            ws.ctypes.data, ws_size, par)

    class Runner:
        # what args points into, and the pool, live as long as the runner
        keep = (model, arrays, outs, ws, in_ptrs, out_ptrs, dims, in_dims, pool)

        def __call__(self):
            self.timed(0)
            return outs[wl.glc_output]

        def timed(self, primers):
            t = timer.glc_timer_call(*args, primers)
            if t < 0:
                raise RuntimeError(f"{so_path}: run failed with status {-t:g}")
            return t
    return Runner()


# The CPU glc compiles for (glc --cpu=NAME; run.py --cpu), None: this host.
GLC_CPU = None


def glc_factory(wl, workdir, name, system="glc", driver=None):
    """Compiles wl.onnx_model with the glc driver (or `driver`: another build of glc to
    compare with), the flags of GLC_VARIANTS[system] and --cpu=GLC_CPU, and returns a
    factory for its runner."""
    import onnx
    import glc
    onnx_path = os.path.join(workdir, name + ".onnx")
    so_path = os.path.join(workdir, name + system[3:] + ".so")
    onnx.save(wl.onnx_model, onnx_path)
    cpu = [f"--cpu={GLC_CPU}"] if GLC_CPU else []
    t0 = time.perf_counter()
    argv = [driver or glc_driver(), onnx_path, "-o", so_path] + cpu + GLC_VARIANTS[system]
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        lines = [ln for ln in (p.stderr + p.stdout).splitlines() if ln.strip()]
        diag = lines[0] if lines else f"glc exited with status {p.returncode}"
        raise GlcRefused(diag.replace(onnx_path, os.path.basename(onnx_path)))
    wl.notes[system + "_compile_s"] = time.perf_counter() - t0

    def factory(threads):
        if system == "glc-c":
            return glc_c_runner(so_path, wl, threads)
        run = glc.load(so_path, threads=threads).bind(wl.feeds)
        return lambda: run()[wl.glc_output]
    return factory


def ort_factory(wl, output=0):
    def factory(threads):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(wl.onnx_model.SerializeToString(), so,
                                    providers=["CPUExecutionProvider"])
        feeds = dict(wl.feeds)
        return lambda: sess.run(None, feeds)[output]
    return factory


def max_rel_err(y, ref):
    y = np.asarray(y, np.float64).reshape(-1)
    ref = np.asarray(ref, np.float64).reshape(-1)
    if y.shape != ref.shape:
        return float("inf")
    scale = max(float(np.max(np.abs(ref))), 1e-30)
    return float(np.max(np.abs(y - ref)) / scale)


PRIME_BELOW_S = 0.25  # calls shorter than this get an untimed call right before each timed one


def time_alternating(runners, warmup, iters, budget_s):
    """Rounds over the systems (rotating the order), one timed call each per round. A system
    whose warm-up call took under PRIME_BELOW_S is primed: an untimed call of its own right
    before each timed one. The thread pools of the system that ran before (OpenMP, Eigen,
    ONNX Runtime, glc) keep spinning for a while after their own call and take cores from
    whoever runs next; the primer absorbs that, so a short call is timed as it runs in a
    loop of its own (measured on W6 batch 16: glc 14.1 ms alone, 20.9 alternating without
    primers, 12.4 with them; ONNX Runtime 19.0, 18.8, 16.4). Long calls barely notice."""
    names = list(runners)
    prime = {}
    for n in names:
        for _ in range(warmup):
            t0 = time.perf_counter()
            runners[n]()
            prime[n] = time.perf_counter() - t0 < PRIME_BELOW_S
    times = {n: [] for n in names}
    for r in range(iters):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            if len(times[n]) >= 3 and sum(times[n]) > budget_s:
                continue
            times[n].append(timed_call(runners[n], prime.get(n)))
    return times


def timed_call(run, prime):
    """One timed call (after an untimed one if prime). A runner with a timed(primers) method
    times itself (the ort-c peer: in C, no Python in its timed region)."""
    if hasattr(run, "timed"):
        return run.timed(1 if prime else 0)
    if prime:
        run()
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


@contextlib.contextmanager
def busy_cores(n=None):
    """Contention: n competing processes (default one per CPU this process may use), each
    spinning a busy loop, for the duration of the block; they are killed on leaving it.
    The systems then share every core with a thread that never sleeps, as on a server or
    phone running other work (issue 23)."""
    n = n or len(os.sched_getaffinity(0))
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.2)  # started and spinning
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def load(module):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    return importlib.import_module("workloads." + module)


def build_systems(mod, cfg, only, workdir):
    wl = mod.build(cfg)
    if only in GLC_VARIANTS:
        wl.systems[only] = glc_factory(wl, workdir, f"{mod.ID}_b{cfg['batch']}", only)
    wl.systems = {only: wl.systems[only]}
    return wl


def peak_rss_probe(module, system, cfg, threads):
    """Runs in a fresh process: peak RSS (MB) of building and running one system."""
    cmd = [sys.executable, os.path.abspath(__file__), "--probe", module, system,
           json.dumps(cfg), str(threads), GLC_CPU or ""]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_rss_mb"]


def _probe_main(module, system, cfg_json, threads, cpu=""):
    global GLC_CPU
    GLC_CPU = cpu or None
    mod = load(module)
    with tempfile.TemporaryDirectory() as wd:
        wl = build_systems(mod, json.loads(cfg_json), only=system, workdir=wd)
        run = wl.systems[system](int(threads))
        for _ in range(4):
            run()
    print(json.dumps({"peak_rss_mb": vm_hwm_mb()}))


def vm_hwm_mb():
    """This process's peak resident set (VmHWM). Not getrusage's ru_maxrss: Linux carries
    the parent's RSS at fork into the child's maxrss across exec, so every probe started
    by a harness holding TensorFlow would report at least the harness's own size."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _make_runners(wl, threads, log):
    """Builds every system; one that fails to build or run is reported and left out."""
    runners, outs = {}, {}
    for n, f in wl.systems.items():
        try:
            r = f(threads)
            outs[n] = np.array(r(), copy=True)
            runners[n] = r
        except Exception as e:  # a peer's failure is a result, not a crash of the run
            log(f"  {n}: FAILED: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    return runners, outs


def run_workload(module, cfg, threads, warmup, iters, budget_s, probe_memory, log,
                 contended=False, systems=None):
    """Records of one configuration. contended: timed under busy_cores() (the records say
    "contended": true and their batch label ends in " busy"); systems: only these."""
    mod = load(module)
    iters = max(iters, getattr(mod, "MIN_ITERS", 0))  # short calls: enough for a p99
    records = []
    label = cfg.get("label", cfg["batch"])
    with tempfile.TemporaryDirectory() as wd:
        wl = mod.build(cfg)
        if systems:
            wl.systems = {k: v for k, v in wl.systems.items() if k in systems}
        if "glc" in wl.systems:
            extra = {v: None for v in getattr(mod, "GLC_VARIANTS", ())
                     if not systems or v in systems}
            wl.systems = {"glc": None, **extra,
                          **{k: v for k, v in wl.systems.items() if k != "glc"}}
        for system in GLC_VARIANTS:
            if system not in wl.systems:
                continue
            if GLC_CPU and system == "glc-bf16":  # a named CPU has no avx512bf16 for glc
                del wl.systems[system]
                continue
            try:
                wl.systems[system] = glc_factory(wl, wd, f"{mod.ID}_b{cfg['batch']}", system)
            except GlcRefused as e:
                log(f"  {mod.ID} batch {label:>3} {system:<16} refused: {e}")
                records.append({"workload": mod.ID, "system": system, "batch": label,
                                "threads": threads, "refused": f"refused: {e}"})
                del wl.systems[system]
            except Exception as e:
                log(f"  {system}: FAILED to compile: {e}")
                del wl.systems[system]
        runners, outs = _make_runners(wl, threads, log)
        with busy_cores() if contended else contextlib.nullcontext():
            times = time_alternating(runners, warmup, iters, budget_s)
    ref = "glc" if "glc" in outs else getattr(mod, "REFERENCE", None)
    if ref not in outs:
        ref = next(iter(outs), None)
    for n in runners:
        t = sorted(times[n])
        med = float(np.median(t))
        # a workload with several configurations per batch labels them (W7: "1-lstm128x2")
        label = cfg.get("label", cfg["batch"])
        label = f"{label} busy" if contended else label
        rec = {"workload": mod.ID, "system": n, "batch": label, "threads": threads,
               "contended": contended,
               "median_s": med, "min_s": t[0], "max_s": t[-1], "timed_calls": len(t),
               "p99_s": float(np.percentile(t, 99)),
               "gflop": wl.flops / 1e9, "gflops": wl.flops / 1e9 / med,
               "max_rel_err": max_rel_err(outs[n], outs[ref]) if ref else None,
               "max_rel_err_ref": ref,
               "peak_rss_mb": None, "variant": wl.notes.get(n, "")}
        if n in GLC_VARIANTS:
            rec["compile_s"] = wl.notes.get(n + "_compile_s")
        if probe_memory:
            rec["peak_rss_mb"] = peak_rss_probe(module, n, cfg, threads)
        log(f"  {mod.ID} batch {label:>3} {n:<16} median {med * 1e3:10.3f} ms "
            f"({len(t)} calls) {rec['gflops']:8.2f} GFLOP/s  "
            f"rel err vs {ref} {max_rel_err(outs[n], outs[ref]):.1e}")
        records.append(rec)
    return records


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--probe":
    _probe_main(*sys.argv[2:7])
