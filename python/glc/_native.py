"""glc_compile.h through ctypes: ONNX models compiled in this process by libglc_compiler.so.

glc.compile(..., in_process=True) uses this (no subprocess; bytes need no file). Opt-in:
with TensorFlow imported, whose own LLVM's symbols are global in the process, libLLVM
crashes (seen in llvm::DataLayout::clear); linking LLVM statically and hidden into
libglc_compiler.so lifts that (tried by hand: docs/embedding.md, "The wheel is not
portable"). The library is $GLC_COMPILER_LIB if set, else glc/lib/libglc_compiler.so
(`pip install ./python` puts it there), else the one beside the driver glc.compile would
run (build/compiler/ of a build tree, lib/ of an installed prefix). The structs mirror
compiler/include/glc_compile.h.
"""
import ctypes
import os

from ._model import GlcError

_MAX_RANK = 8
EMITS = ("so", "obj", "asm", "llvm", "static", "header")  # glc_compile_emit's order
_HERE = os.path.dirname(os.path.abspath(__file__))


class _Shape(ctypes.Structure):
    _fields_ = [("input", ctypes.c_char_p), ("rank", ctypes.c_int),
                ("dims", ctypes.c_int64 * _MAX_RANK), ("names", ctypes.c_char_p * _MAX_RANK)]


class _Dim(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_int64)]


class _Binding(ctypes.Structure):
    _fields_ = [("input", ctypes.c_char_p), ("npy_path", ctypes.c_char_p)]


_LOG = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class _Options(ctypes.Structure):
    _fields_ = [("opt_level", ctypes.c_int), ("emit", ctypes.c_int),
                ("cpu", ctypes.c_char_p), ("features", ctypes.c_char_p),
                ("triple", ctypes.c_char_p), ("prefix", ctypes.c_char_p),
                ("stream", ctypes.c_bool), ("winograd", ctypes.c_bool),
                ("bf16_dot", ctypes.c_bool), ("bf16_weights", ctypes.c_bool),
                ("shapes", ctypes.POINTER(_Shape)), ("n_shapes", ctypes.c_uint32),
                ("dims", ctypes.POINTER(_Dim)), ("max_dims", ctypes.POINTER(_Dim)),
                ("n_dims", ctypes.c_uint32), ("n_max_dims", ctypes.c_uint32),
                ("bindings", ctypes.POINTER(_Binding)), ("n_bindings", ctypes.c_uint32),
                ("limits", ctypes.c_void_p), ("n_limits", ctypes.c_uint32),
                ("log", _LOG), ("log_user", ctypes.c_void_p),
                ("disable_pass", ctypes.c_char_p)]  # glc_compile_options, field for field


class _Diag(ctypes.Structure):
    _fields_ = [("status", ctypes.c_int), ("message", ctypes.c_char * 2048)]


def _candidates(driver):
    env = os.environ.get("GLC_COMPILER_LIB")
    if env:
        return [env]
    found = [os.path.join(_HERE, "lib", "libglc_compiler.so")]
    if driver:
        bindir = os.path.dirname(os.path.abspath(driver))
        found += [os.path.join(bindir, "compiler", "libglc_compiler.so"),
                  os.path.join(bindir, "..", "lib", "libglc_compiler.so")]
    return found


def library_path(driver=None):
    """The libglc_compiler.so this package would load, or GlcError saying where it looked."""
    tried = _candidates(driver)
    for path in tried:
        if os.path.isfile(path):
            return os.path.normpath(path)
    raise GlcError("cannot find libglc_compiler.so (compiling bytes needs it): set "
                   f"GLC_COMPILER_LIB; looked at {', '.join(tried)}")


_lib = {}


def _load(path):
    if path not in _lib:
        lib = ctypes.CDLL(path)
        lib.glc_compile_defaults.restype = _Options
        lib.glc_compile_bytes.restype = ctypes.c_int
        lib.glc_compile_bytes.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.POINTER(_Options),
                                          ctypes.POINTER(_Diag)]
        lib.glc_compile_file.restype = ctypes.c_int
        lib.glc_compile_file.argtypes = [ctypes.c_char_p, ctypes.c_char_p,
                                         ctypes.POINTER(_Options), ctypes.POINTER(_Diag)]
        _lib[path] = lib
    return _lib[path]


def _enc(s):
    return None if s is None else os.fsencode(s)


def _shape(inp, toks):
    s = _Shape(input=_enc(inp), rank=len(toks))
    for k, t in enumerate(toks):
        if t == "?":
            s.dims[k] = -1
        elif t.isdigit():
            s.dims[k] = int(t)
        else:
            s.names[k] = _enc(t)
    return s


def _array(ctype, items):
    return (ctype * len(items))(*items) if items else None


def _options(lib, opt, emit, name, cpu, winograd, bf16, bf16_weights, shapes, dims, max_dims,
             bind):
    """glc_compile_options and the arrays it points at (kept alive by the caller)."""
    if emit not in EMITS:
        raise ValueError(f"emit must be one of {', '.join(EMITS)}, not {emit!r}")
    o = lib.glc_compile_defaults()
    o.opt_level, o.emit, o.prefix, o.cpu = opt, EMITS.index(emit), _enc(name), _enc(cpu)
    o.winograd, o.bf16_dot, o.bf16_weights = winograd, bf16, bf16_weights
    keep = [_array(_Shape, [_shape(i, t) for i, t in shapes]),
            _array(_Dim, [_Dim(_enc(k), v) for k, v in dims]),
            _array(_Dim, [_Dim(_enc(k), v) for k, v in max_dims]),
            _array(_Binding, [_Binding(_enc(k), _enc(v)) for k, v in bind])]
    o.shapes, o.dims, o.max_dims, o.bindings = keep
    o.n_shapes, o.n_dims, o.n_max_dims, o.n_bindings = (len(shapes), len(dims), len(max_dims),
                                                        len(bind))
    return o, keep


def compile_model(model, output, driver=None, **options):
    """Compiles `model` (serialized ONNX bytes, or a path) to `output` in this process.
    options are glc.compile's, already checked: shapes as [(input, tokens)], dims, max_dims
    and bind as [(name, value)]. Raises GlcError with glc's one-line diagnostic."""
    lib = _load(library_path(driver))
    o, keep = _options(lib, **options)
    d = _Diag()
    out = _enc(os.fspath(output))
    if isinstance(model, (bytes, bytearray, memoryview)):
        buf = bytes(model)
        s = lib.glc_compile_bytes(buf, len(buf), b"<bytes>", out, ctypes.byref(o),
                                  ctypes.byref(d))
    else:
        s = lib.glc_compile_file(_enc(os.fspath(model)), out, ctypes.byref(o), ctypes.byref(d))
    del keep
    if s != 0:
        raise GlcError(d.message.decode(errors="replace"))
