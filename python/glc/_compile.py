"""glc.compile: the glc driver as a function."""
import numbers
import os
import re
import shutil
import subprocess
import tempfile

from . import _native
from ._model import GlcError


_HERE = os.path.dirname(os.path.abspath(__file__))


def _bundled_driver():
    """glc/bin/glc: the driver `pip install ./python` builds into the package (its own
    version)."""
    path = os.path.join(_HERE, "bin", "glc")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def _driver():
    """$GLC_DRIVER, else the bundled driver, else glc on PATH, else the source tree's."""
    env = os.environ.get("GLC_DRIVER")
    if env:
        return env
    found = _bundled_driver() or shutil.which("glc")
    if found:
        return found
    tree = os.path.join(_HERE, "..", "..", "build", "glc")
    if os.path.exists(tree):
        return os.path.normpath(tree)
    raise GlcError("cannot find the glc driver: set GLC_DRIVER, put glc on PATH, or install "
                   "the package with `pip install ./python` (which bundles it as glc/bin/glc)")


_NAME = re.compile(r"[A-Za-z_.][A-Za-z0-9_.]*\Z")  # a symbol, as the driver reads one


def _count(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _shape_tokens(shapes):
    """[(input, [token, ...])] for {input name: dims}, checked; a token is a count, a
    symbol's name or '?' (a dim of None)."""
    if not isinstance(shapes, dict):
        raise ValueError(f"shapes must be a dict {{input name: dims}}, not {shapes!r}")
    out = []
    for inp, dims in shapes.items():
        if not isinstance(inp, str) or not inp or "=" in inp:
            raise ValueError(f"shapes: input name {inp!r} must be a non-empty str without '='")
        if isinstance(dims, (str, bytes)) or not hasattr(dims, "__iter__"):
            raise ValueError(f"shapes[{inp!r}] must be a sequence of dims, not {dims!r}")
        toks = []
        for d in dims:
            if d is None or d == "?":
                toks.append("?")
            elif _count(d):
                toks.append(str(int(d)))
            elif isinstance(d, str) and _NAME.match(d):
                toks.append(d)
            else:
                raise ValueError(f"shapes[{inp!r}]: dim {d!r} is not an int, a symbol name "
                                 f"([A-Za-z_.][A-Za-z0-9_.]*) or None")
        if not toks:
            raise ValueError(f"shapes[{inp!r}] is empty: a rank-0 input has no dims to set")
        out.append((inp, toks))
    return out


def _shape_flags(tokens):
    """--shape INPUT=D0,D1,... per input. Commas always (a name may hold an 'x'); a lone dim
    gets a trailing one."""
    flags = []
    for inp, toks in tokens:
        flags += ["--shape", f"{inp}={','.join(toks)}{',' if len(toks) == 1 else ''}"]
    return flags


def _named_values(arg, values):
    """[(symbol name, int)] for {symbol name: int}, checked."""
    if not isinstance(values, dict):
        raise ValueError(f"{arg} must be a dict {{symbol name: int}}, not {values!r}")
    for k, v in values.items():
        if not isinstance(k, str) or not _NAME.match(k):
            raise ValueError(f"{arg}: {k!r} is not a symbol name ([A-Za-z_.][A-Za-z0-9_.]*)")
        if not _count(v):
            raise ValueError(f"{arg}[{k!r}] must be an int, not {v!r}")
    return [(k, int(v)) for k, v in values.items()]


def _named_flags(flag, pairs):
    """--dim / --max-dim NAME=N per pair."""
    return [a for k, v in pairs for a in (flag, f"{k}={v}")]


def _driver_or_none():
    try:
        return _driver()
    except GlcError:
        return None


def compile(model, output, opt=3, name=None, cpu=None, emit="so", bind=None, winograd=False,
            bf16_weights=False, bf16=False, shapes=None, dims=None, max_dims=None,
            in_process=False):
    """Compiles the ONNX file `model` to `output` (a shared object by default). `model` may
    also be the serialized model (bytes, e.g. onnx.ModelProto.SerializeToString()): it is
    then compiled in this process by libglc_compiler.so (glc_compile.h), no file needed.

    opt: 0..3; name: symbol prefix (default glc_model); cpu: target CPU (default: the
    environment's GLC_DEFAULT_CPU, else the host; glc --list-cpus lists the names; an
    unknown one raises GlcError); emit: "so", "obj", "asm" or "llvm"; bind: {input name: path of a .npy} to freeze inputs
    into constants; winograd: 3x3/5x5 convolutions as Winograd products (glc --winograd);
    bf16_weights: constant product weights held as bf16 (glc --bf16-weights);
    bf16: every product as bf16 dot products, needs avx512bf16 (glc --bf16).

    Symbolic dims (docs/symbolic-dims.md): an input dim the model names (a dim_param) or
    leaves unknown stays symbolic, and the compiled model takes any size there.
    shapes: {input name: dims} (glc --shape), one entry per dim of the input: an int fixes
    it (where the model has a size, the same one), a str makes it the symbol of that name
    (also where the model has a size), None keeps the model's; e.g. {"x": (1, None, 64)},
    {"x": ("T", "batch", 64)}. dims: {symbol name: int} fixes every dim of that name
    (glc --dim). max_dims: {symbol name: int} bounds that symbol (glc --max-dim): a call
    with a larger value is refused. With every dim fixed, the model is static.
    Malformed arguments (wrong types, a dim that is not an int, name or None) raise
    ValueError before the driver runs; ones the model refuses (an unknown input or
    symbol, a wrong rank, a size other than the model's) raise GlcError.

    Raises GlcError with the driver's one-line diagnostic on failure.
    Returns output."""
    if opt not in (0, 1, 2, 3):
        raise ValueError(f"opt must be 0, 1, 2 or 3, not {opt!r}")
    shape_toks = _shape_tokens(shapes) if shapes is not None else []
    dim_vals = _named_values("dims", dims) if dims is not None else []
    max_vals = _named_values("max_dims", max_dims) if max_dims is not None else []
    if isinstance(model, (bytes, bytearray, memoryview)) and not in_process:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "model.onnx")
            with open(path, "wb") as f:
                f.write(model)
            return compile(path, output, opt, name, cpu, emit, bind, winograd, bf16_weights,
                           bf16, shapes, dims, max_dims)
    if in_process:
        binds = [(k, os.fspath(v)) for k, v in (bind or {}).items()]
        _native.compile_model(model, output, driver=_driver_or_none(), opt=opt, emit=emit,
                              name=name, cpu=cpu, winograd=winograd, bf16=bf16,
                              bf16_weights=bf16_weights, shapes=shape_toks, dims=dim_vals,
                              max_dims=max_vals, bind=binds)
        return output
    dim_flags = _shape_flags(shape_toks) + _named_flags("--dim", dim_vals)
    dim_flags += _named_flags("--max-dim", max_vals)
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
    cmd += dim_flags
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise GlcError(r.stderr.strip() or f"glc exited with status {r.returncode}")
    return output
