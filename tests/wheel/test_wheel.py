#!/usr/bin/env python3
"""`pip install ./python` as a new user runs it, then glc from that install alone.

    test_wheel.py SOURCE_DIR BUILD_DIR [--tf-venv VENV]

1. A fresh venv from /usr/bin/python3 (Debian's pip 23) gets scikit-build-core and numpy, both
   pinned, from a wheelhouse kept under ~/.cache/glc-wheel-test (filled by `pip download` the
   first time; without network and without that cache the test is skipped, status 77).
2. `pip install --no-build-isolation ./python` from SOURCE_DIR: scikit-build-core builds the
   project's CMake (Release, no tests) in BUILD_DIR (kept, so a rerun is incremental) and
   installs the driver and libraries into the package.
3. From a directory outside the repository, with every PATH entry that holds a `glc` removed
   and no GLC_*/PYTHONPATH/LD_LIBRARY_PATH variable: `import glc` must come from the fresh
   venv and find its own driver; glc.compile (driver subprocess, and in-process from bytes
   through the bundled libglc_compiler.so) on examples/mlp's model, run by glc.load, must
   match the fixture's expected output; and tests/install/consumer, built with
   find_package(glc) on the package directory, must print what glc.load gave.
4. With --tf-venv (the exporter tests' venv: TensorFlow, Keras, onnx), a .pth file adds that
   venv's site-packages *after* the fresh one's, so Keras imports without a 500 MB download
   while glc still comes from the fresh install: `glc.keras.export` (no `import glc.keras`)
   of a tiny LSTM model, compiled and run, must match Keras's own prediction.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
SKBUILD = "scikit-build-core==1.1.2"

CHECK_COMPILE = r"""
import os, sys
import numpy as np
import glc
venv, src = sys.argv[1], sys.argv[2]
pkg = os.path.dirname(os.path.realpath(glc.__file__))
assert pkg.startswith(os.path.realpath(venv) + os.sep), f"glc imported from {pkg}, not {venv}"
from glc import _compile, _native
driver = _compile._driver()
assert driver == os.path.join(pkg, "bin", "glc"), f"glc.compile would run {driver}"
assert _native.library_path(driver) == os.path.join(pkg, "lib", "libglc_compiler.so")
for d in ("include/glc_runtime.h", "include/glc_compile.h", "lib/libglc_runtime.a"):
    assert os.path.isfile(os.path.join(pkg, d)), f"the package has no {d}"
import glc.ort  # the ONNX Runtime custom-op library is bundled too (not loaded here)
assert glc.ort.library_path() == os.path.join(pkg, "lib", "libglc_ort.so"), glc.ort.library_path()
fx = os.path.join(src, "tests", "fixtures", "e2e")
x, want = np.load(os.path.join(fx, "mlp.x.npy")), np.load(os.path.join(fx, "mlp.expected_y.npy"))
onnx_path = os.path.join(fx, "mlp.onnx")
with open(onnx_path, "rb") as f:
    blob = f.read()
for so, model, in_process in (("mlp.so", onnx_path, False), ("mlp_bytes.so", blob, True)):
    glc.compile(model, so, in_process=in_process)
    got = glc.load(so)(x=x)["y"]
    err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
    assert err < 1e-5, f"{so}: relative error {err} against the fixture"
    by = "libglc_compiler.so" if in_process else driver
    print(f"{so}: matches the fixture ({err:.1e}); compiled by {by}")
# What tests/install/consumer prints for mlp.so (every input 0.5), for the C check below.
y = glc.load("mlp.so")(x=np.full(x.shape, 0.5, np.float32))["y"]
with open("consumer_want.txt", "w") as f:
    f.write("".join("%.6g\n" % v for v in y.ravel()))
with open("package_dir.txt", "w") as f:
    f.write(pkg)
"""

CHECK_KERAS = r"""
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import keras
import glc
venv = sys.argv[1]
pkg = os.path.dirname(os.path.realpath(glc.__file__))
assert pkg.startswith(os.path.realpath(venv) + os.sep), f"glc imported from {pkg}, not {venv}"
keras.utils.set_random_seed(3)
model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(5), keras.layers.Dense(2)])
glc.keras.export(model, "tiny.onnx")
m = glc.load(glc.compile("tiny.onnx", "tiny.so"))
x = np.random.default_rng(5).uniform(-1, 1, (1, 6, 3)).astype(np.float32)
got = m(**{m.inputs[0].name: x})[m.outputs[0].name]
want = np.asarray(model(x))
err = float(np.max(np.abs(got - want)) / np.max(np.abs(want)))
assert err < 1e-4, f"keras LSTM: relative error {err} against Keras"
print(f"glc.keras.export -> glc.compile -> glc.load: matches Keras ({err:.1e})")
"""


class Failed(Exception):
    pass


def run(cmd, **kw):
    shown = " ".join({CHECK_COMPILE: "<CHECK_COMPILE>", CHECK_KERAS: "<CHECK_KERAS>"}.get(c, c)
                     for c in cmd)
    print("+", shown, flush=True)
    r = subprocess.run(cmd, **kw)
    if r.returncode != 0:
        raise Failed(f"FAILED (status {r.returncode}): {shown}")
    return r


def numpy_pin(src):
    """numpy's pin in python/requirements-test.txt: the TensorFlow venv's numpy, so that the
    fresh venv's numpy (first on sys.path) is the one TensorFlow was installed with."""
    with open(os.path.join(src, "python", "requirements-test.txt")) as f:
        for line in f:
            if line.startswith("numpy=="):
                return line.strip()
    raise SystemExit("python/requirements-test.txt pins no numpy")


def install_build_deps(pip, pins):
    """Installs pins from the wheelhouse, downloading them into it first if needed; False
    when neither the cache nor the network has them."""
    wheels = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                          "glc-wheel-test")
    offline = [pip, "install", "-q", "--no-index", "--find-links", wheels] + pins
    if os.path.isdir(wheels) and subprocess.run(offline).returncode == 0:
        return True
    fetch = subprocess.run([pip, "download", "-q", "--timeout", "30", "--retries", "1",
                            "-d", wheels] + pins, capture_output=True, text=True)
    if fetch.returncode != 0:
        last = (fetch.stderr.strip().splitlines() or ["?"])[-1]
        print(f"skipped: cannot get {' '.join(pins)} from PyPI and {wheels} does not have "
              f"them (no network?): {last}")
        return False
    run(offline)
    return True


def clean_env():
    """The environment a new user's shell would have: no glc on PATH, nothing pointing at
    this tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GLC_") and k not in ("PYTHONPATH", "PYTHONHOME",
                                                      "LD_LIBRARY_PATH", "VIRTUAL_ENV")}
    dirs = [d for d in env.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "glc"))]
    env["PATH"] = os.pathsep.join(dirs)
    return env


def purelib(python):
    """That python's site-packages."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return subprocess.run([python, "-c", code], check=True, capture_output=True,
                          text=True).stdout.strip()


def check_c_prefix(src, work, env):
    """The package directory is an install prefix for C: tests/install/consumer builds
    against it with find_package(glc), runs the mlp.so glc.compile wrote (the same outputs
    as glc.load gave), and compiles the model through the package's libglc_compiler.so."""
    with open(os.path.join(work, "package_dir.txt")) as f:
        pkg = f.read()
    cb = os.path.join(work, "consumer-build")
    run(["cmake", "-S", os.path.join(src, "tests", "install", "consumer"), "-B", cb,
         "-DCMAKE_PREFIX_PATH=" + pkg], env=env, stdout=subprocess.DEVNULL)
    run(["cmake", "--build", cb], env=env, stdout=subprocess.DEVNULL)
    with open(os.path.join(work, "consumer_want.txt")) as f:
        want = f.read()
    so = os.path.join(work, "mlp_c.so")
    run([os.path.join(cb, "compile_consumer"), os.path.join(src, "examples", "mlp", "mlp.onnx"),
         so], env=env)
    for model in (os.path.join(work, "mlp.so"), so):
        got = run([os.path.join(cb, "consumer"), model], env=env, capture_output=True,
                  text=True).stdout
        if got != want:
            raise Failed(f"FAILED: the C consumer on {model} printed {got!r}, glc.load {want!r}")
    print("find_package(glc) on the package directory: the C consumer agrees with glc.load")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("build_dir")
    ap.add_argument("--tf-venv")
    a = ap.parse_args()
    src = os.path.realpath(a.source)
    with tempfile.TemporaryDirectory(prefix="glc-wheel-") as tmp:
        venv = os.path.join(tmp, "venv")
        run(["/usr/bin/python3", "-m", "venv", venv])
        pip, py = os.path.join(venv, "bin", "pip"), os.path.join(venv, "bin", "python")
        if not install_build_deps(pip, [SKBUILD, numpy_pin(src)]):
            return SKIP
        t0 = time.monotonic()
        # Every core also where scikit-build-core falls back to make (no ninja installed).
        build_env = dict(clean_env(), CMAKE_BUILD_PARALLEL_LEVEL=os.environ.get(
            "CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1)))
        run([pip, "install", "-q", "--no-index", "--no-build-isolation",
             "--config-settings=build-dir=" + os.path.realpath(a.build_dir),
             os.path.join(src, "python")], env=build_env)
        print(f"pip install ./python: {time.monotonic() - t0:.0f} s")
        work = os.path.join(tmp, "work")  # outside the repository
        os.mkdir(work)
        env = clean_env()
        assert shutil.which("glc", path=env["PATH"]) is None
        run([py, "-c", CHECK_COMPILE, venv, src], cwd=work, env=env)
        check_c_prefix(src, work, env)
        if not a.tf_venv:
            print("glc.keras.export not checked: no --tf-venv (configure with -DGLC_PY_VENV)")
            return 0
        with open(os.path.join(purelib(py), "glc_test_tf_venv.pth"), "w") as f:
            f.write(purelib(os.path.join(a.tf_venv, "bin", "python")) + "\n")
        run([py, "-c", CHECK_KERAS, venv], cwd=work, env=env)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failed as e:
        sys.exit(str(e))
