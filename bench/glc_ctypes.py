"""Load a glc-compiled model (.so) with ctypes and run it on numpy arrays.

Mirrors runtime/include/glc_runtime.h (GLC_ABI_VERSION 1): the model exports
<prefix>_info() -> const glc_model_info * and
<prefix>_run(const void *const *in, void *const *out, void *ws, uint64_t ws_size).
Calling run() through ctypes costs a few microseconds, which the harness accepts: every
workload it times runs for milliseconds or more.
"""
import ctypes
import numpy as np

ABI_VERSION = 1
_DTYPES = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 11: np.float64}


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("dims", ctypes.POINTER(ctypes.c_int64)), ("size_bytes", ctypes.c_uint64)]


class _ModelInfo(ctypes.Structure):
    _fields_ = [("abi_version", ctypes.c_uint32), ("n_inputs", ctypes.c_uint32),
                ("n_outputs", ctypes.c_uint32), ("reserved", ctypes.c_uint32),
                ("inputs", ctypes.POINTER(_TensorInfo)), ("outputs", ctypes.POINTER(_TensorInfo)),
                ("workspace_size", ctypes.c_uint64), ("model_name", ctypes.c_char_p)]


def _aligned_empty(shape, dtype, align=64):
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(n + align, np.uint8)
    off = (-raw.ctypes.data) % align
    return raw[off:off + n].view(dtype).reshape(shape)


class GlcModel:
    def __init__(self, so_path, prefix="glc_model"):
        self._lib = ctypes.CDLL(so_path)
        info_fn = getattr(self._lib, prefix + "_info")
        info_fn.restype = ctypes.POINTER(_ModelInfo)
        self._run = getattr(self._lib, prefix + "_run")
        self._run.restype = ctypes.c_int
        self._run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64]
        info = info_fn().contents
        if info.abi_version != ABI_VERSION:
            raise RuntimeError(f"{so_path}: ABI {info.abi_version}, expected {ABI_VERSION}")
        self.inputs = [self._port(info.inputs[i]) for i in range(info.n_inputs)]
        self.outputs = [self._port(info.outputs[i]) for i in range(info.n_outputs)]
        self.ws_size = info.workspace_size
        self._ws = _aligned_empty((max(1, self.ws_size),), np.uint8)

    @staticmethod
    def _port(t):
        return (t.name.decode(), _DTYPES[t.dtype], tuple(t.dims[k] for k in range(t.rank)))

    def prepare(self, feeds):
        """Returns run(): runs the model on feeds (name -> array) and returns the outputs
        (list of arrays, reused between calls)."""
        ins = []
        for name, dt, shape in self.inputs:
            a = _aligned_empty(shape, dt)
            a[...] = np.asarray(feeds[name], dtype=dt).reshape(shape)
            ins.append(a)
        outs = [_aligned_empty(shape, dt) for _, dt, shape in self.outputs]
        in_ptrs = (ctypes.c_void_p * max(1, len(ins)))(*[a.ctypes.data for a in ins])
        out_ptrs = (ctypes.c_void_p * max(1, len(outs)))(*[a.ctypes.data for a in outs])
        ws_ptr, ws_size, fn = self._ws.ctypes.data, self.ws_size, self._run
        keep = (ins, outs, in_ptrs, out_ptrs)

        def run():
            s = fn(in_ptrs, out_ptrs, ws_ptr, ws_size)
            if s != 0:
                raise RuntimeError(f"glc run failed with status {s}")
            return keep[1]
        return run
