"""glc.compile: the glc driver as a function."""
import os
import shutil
import subprocess

from ._model import GlcError


def _driver():
    env = os.environ.get("GLC_DRIVER")
    if env:
        return env
    on_path = shutil.which("glc")
    if on_path:
        return on_path
    tree = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "glc")
    if os.path.exists(tree):
        return os.path.normpath(tree)
    raise GlcError("cannot find the glc driver: set GLC_DRIVER or put glc on PATH")


def compile(model, output, opt=3, name=None, cpu=None, emit="so", bind=None, winograd=False,
            bf16_weights=False, bf16=False):
    """Compiles the ONNX file `model` to `output` (a shared object by default).

    opt: 0..3; name: symbol prefix (default glc_model); cpu: target CPU (default: the
    environment's GLC_DEFAULT_CPU, else the host; glc --list-cpus lists the names; an
    unknown one raises GlcError); emit: "so", "obj", "asm" or "llvm"; bind: {input name: path of a .npy} to freeze inputs
    into constants; winograd: 3x3/5x5 convolutions as Winograd products (glc --winograd);
    bf16_weights: constant product weights held as bf16 (glc --bf16-weights);
    bf16: every product as bf16 dot products, needs avx512bf16 (glc --bf16).
    Raises GlcError with the driver's one-line diagnostic on failure.
    Returns output."""
    if opt not in (0, 1, 2, 3):
        raise ValueError(f"opt must be 0, 1, 2 or 3, not {opt!r}")
    cmd = [_driver(), os.fspath(model), "-o", os.fspath(output), f"-O{opt}", f"--emit={emit}"]
    if name:
        cmd.append(f"--name={name}")
    if cpu:
        cmd.append(f"--cpu={cpu}")
    if winograd:
        cmd.append("--winograd")
    if bf16_weights:
        cmd.append("--bf16-weights")
    if bf16:
        cmd.append("--bf16")
    for k, v in (bind or {}).items():
        cmd += ["--bind", f"{k}={os.fspath(v)}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise GlcError(r.stderr.strip() or f"glc exited with status {r.returncode}")
    return output
