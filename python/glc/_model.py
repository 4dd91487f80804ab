"""glc.load and Model: a compiled model called through its C ABI with ctypes."""
import ctypes
import os
import threading
from collections import namedtuple

import numpy as np

ABI_VERSION = 4
_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
           7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}

# shape: a tuple of ints, None for a symbolic dim; dim_names: None, or per dim None (static)
# or the symbol (or expression) name.
TensorSpec = namedtuple("TensorSpec", "name dtype shape dim_names", defaults=(None,))


class GlcError(Exception):
    """A glc compile or run failure; the message is glc's one-line diagnostic."""


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("size_bytes", ctypes.c_uint64),
                ("dim_names", ctypes.POINTER(ctypes.c_char_p)),
                ("max_dims", ctypes.POINTER(ctypes.c_int64))]


class _ModelInfo(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("n_inputs", ctypes.c_uint32),
                ("n_outputs", ctypes.c_uint32), ("n_symbols", ctypes.c_uint32),
                ("inputs", ctypes.POINTER(_TensorInfo)), ("outputs", ctypes.POINTER(_TensorInfo)),
                ("workspace_size", ctypes.c_uint64), ("model_name", ctypes.c_char_p)]


_STATUS = {1: "a NULL tensor pointer", 2: "workspace missing or too small",
           7: "input dims the model does not accept (mismatched symbols, a dim out of its "
              "bounds, or a constraint of the model)"}


def _aligned_empty(shape, dtype, align=64):
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(n + align, np.uint8)
    off = (-raw.ctypes.data) % align
    return raw[off:off + n].view(dtype).reshape(shape)


def _spec_str(dtype, shape):
    return f"{np.dtype(dtype).name}[{','.join(str(d) for d in shape)}]"


class Model:
    """A compiled model. m(**feeds) or m.run(feeds) -> {output name: array}.

    threads: None runs on the model's default pool (GLC_NUM_THREADS threads, else every
    CPU); a count runs on a pool of that many threads of this Model's own (1: the calling
    thread alone)."""

    def __init__(self, path, prefix="glc_model", threads=None):
        self._pool = None
        self.path = os.fspath(path)
        try:
            self._lib = ctypes.CDLL(os.path.abspath(self.path))
        except OSError as e:
            raise GlcError(f"{self.path}: cannot load compiled model: {e}") from None
        try:
            info_fn = getattr(self._lib, prefix + "_describe")
        except AttributeError:
            raise GlcError(f"{self.path}: no symbols {prefix}_describe/_plan/_invoke/_invoke_with "
                           f"(not a glc model, or compiled with another name)") from None
        info_fn.restype = ctypes.POINTER(_ModelInfo)
        info = info_fn().contents
        if info.abi_version != ABI_VERSION:
            raise GlcError(f"{self.path}: model ABI version {info.abi_version}, this package "
                           f"expects {ABI_VERSION}")
        invoke = getattr(self._lib, prefix + "_invoke")
        invoke_with = getattr(self._lib, prefix + "_invoke_with")
        self._plan = getattr(self._lib, prefix + "_plan")
        self._plan.restype = ctypes.c_int
        self._plan.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        self.n_symbols = int(info.n_symbols)
        self._run = self._runner(invoke, invoke_with, threads)
        self.inputs = [self._spec(info.inputs[i]) for i in range(info.n_inputs)]
        self.outputs = [self._spec(info.outputs[i]) for i in range(info.n_outputs)]
        self.workspace_size = int(info.workspace_size)
        self.name = (info.model_name or b"").decode()

    def _runner(self, invoke, invoke_with, threads):
        args = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                ctypes.c_uint64]
        invoke.restype = invoke_with.restype = ctypes.c_int
        invoke.argtypes = args
        invoke_with.argtypes = args + [ctypes.c_void_p]
        if threads is None:
            return invoke
        threads = int(threads)
        if threads < 1:
            raise GlcError(f"threads must be at least 1, got {threads}")
        par = None
        if threads > 1:
            lib = self._lib
            lib.glc_rt_pool_create.restype = ctypes.c_int
            lib.glc_rt_pool_create.argtypes = [ctypes.c_uint32, ctypes.POINTER(ctypes.c_void_p)]
            lib.glc_rt_pool_parallel.restype = ctypes.c_void_p
            lib.glc_rt_pool_parallel.argtypes = [ctypes.c_void_p]
            lib.glc_rt_pool_destroy.argtypes = [ctypes.c_void_p]
            pool = ctypes.c_void_p()
            if lib.glc_rt_pool_create(threads, ctypes.byref(pool)) != 0:
                raise GlcError(f"{self.path}: cannot start {threads} threads")
            self._pool = (lib.glc_rt_pool_destroy, pool)
            par = lib.glc_rt_pool_parallel(pool)
        return lambda i, d, o, w, n: invoke_with(i, d, o, w, n, par)

    def __del__(self):
        if getattr(self, "_pool", None):
            destroy, pool = self._pool
            self._pool = None
            destroy(pool)

    @staticmethod
    def _spec(t):
        if t.dtype not in _DTYPES:
            raise GlcError(f"tensor '{t.name.decode()}' has unsupported dtype code {t.dtype}")
        shape = tuple(None if t.dims[k] < 0 else t.dims[k] for k in range(t.rank))
        names = None
        if t.dim_names:
            names = tuple(t.dim_names[k].decode() if t.dim_names[k] else None
                          for k in range(t.rank))
        return TensorSpec(t.name.decode(), np.dtype(_DTYPES[t.dtype]), shape, names)

    def _check(self, feeds):
        names = [s.name for s in self.inputs]
        for k in feeds:
            if k not in names:
                raise GlcError(f"{self.path}: unknown input '{k}' (inputs: "
                               f"{', '.join(repr(n) for n in names)})")
        arrays = []
        for s in self.inputs:
            if s.name not in feeds:
                raise GlcError(f"{self.path}: missing input '{s.name}' "
                               f"(expected {_spec_str(s.dtype, self._shape_str(s))})")
            a = np.asarray(feeds[s.name])
            fits = len(a.shape) == len(s.shape) and all(
                want is None or want == got for want, got in zip(s.shape, a.shape))
            if a.dtype != s.dtype or not fits:
                raise GlcError(f"{self.path}: input '{s.name}': expected "
                               f"{_spec_str(s.dtype, self._shape_str(s))}, got "
                               f"{_spec_str(a.dtype, a.shape)}")
            arrays.append(np.ascontiguousarray(a))
        return arrays

    @staticmethod
    def _shape_str(s):
        return tuple(d if d is not None else (s.dim_names[k] if s.dim_names else "?")
                     for k, d in enumerate(s.shape))

    def plan(self, shapes):
        """The outputs' shapes and the workspace size for inputs of these shapes (a list,
        in input order): ([shape of each output], workspace bytes). Raises GlcError for
        shapes the model does not accept."""
        dims = [(ctypes.c_int64 * max(1, len(sh)))(*sh) for sh in shapes]
        in_dims = (ctypes.c_void_p * max(1, len(dims)))(*[ctypes.addressof(d) for d in dims])
        outs = [(ctypes.c_int64 * max(1, len(s.shape)))() for s in self.outputs]
        out_dims = (ctypes.c_void_p * max(1, len(outs)))(*[ctypes.addressof(o) for o in outs])
        ws = ctypes.c_uint64()
        status = self._plan(in_dims, out_dims, ctypes.byref(ws))
        if status != 0:
            raise GlcError(f"{self.path}: input shapes {[tuple(sh) for sh in shapes]}: "
                           f"{_STATUS.get(status, f'status {status}')}")
        shapes_out = [tuple(o[k] for k in range(len(s.shape))) for s, o in zip(self.outputs, outs)]
        return shapes_out, int(ws.value), (dims, in_dims)

    def _prepare(self, feeds):
        arrays = self._check(feeds)
        out_shapes, ws_size, keep_dims = self.plan([a.shape for a in arrays])
        outs = [_aligned_empty(sh, s.dtype) for s, sh in zip(self.outputs, out_shapes)]
        ws = _aligned_empty((max(1, ws_size),), np.uint8)
        in_ptrs = (ctypes.c_void_p * max(1, len(arrays)))(*[a.ctypes.data for a in arrays])
        out_ptrs = (ctypes.c_void_p * max(1, len(outs)))(*[a.ctypes.data for a in outs])
        return arrays, outs, ws, ws_size, in_ptrs, out_ptrs, keep_dims

    def run(self, feeds):
        """Runs the model on feeds ({input name: array of its dtype and a shape it accepts:
        any size for a symbolic dim})."""
        arrays, outs, ws, ws_size, in_ptrs, out_ptrs, (dims, in_dims) = self._prepare(feeds)
        status = self._run(in_ptrs, in_dims, out_ptrs, ws.ctypes.data, ws_size)
        if status != 0:
            raise GlcError(f"{self.path}: run failed: {_STATUS.get(status, f'status {status}')}")
        return {s.name: a for s, a in zip(self.outputs, outs)}

    def __call__(self, **feeds):
        return self.run(feeds)

    def bind(self, feeds):
        """A fast runner for repeated calls on the same inputs (benchmarks): fn() runs the
        model and returns the list of outputs, reused between calls; calls on one runner
        are serialized."""
        keep = self._prepare(feeds)
        arrays, outs, ws, wss, in_ptrs, out_ptrs, (dims, in_dims) = keep
        run, wsp, lock = self._run, ws.ctypes.data, threading.Lock()

        def fn():
            with lock:
                status = run(in_ptrs, in_dims, out_ptrs, wsp, wss)
            if status != 0:
                raise GlcError(f"{self.path}: run failed with status {status}")
            return keep[1]
        return fn

    def __repr__(self):
        ins = ", ".join(f"{s.name}: {_spec_str(s.dtype, self._shape_str(s))}" for s in self.inputs)
        outs = ", ".join(f"{s.name}: {_spec_str(s.dtype, self._shape_str(s))}"
                         for s in self.outputs)
        return f"<glc.Model {self.path} ({ins}) -> ({outs})>"


def load(path, prefix="glc_model", threads=None):
    """Opens a model compiled by glc (a .so); prefix is the --name it was compiled with;
    threads: see Model."""
    return Model(path, prefix, threads)
