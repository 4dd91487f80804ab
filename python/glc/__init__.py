"""glc from Python: compile ONNX models with the glc driver and run compiled models.

    import glc
    glc.compile("model.onnx", "model.so", opt=3)
    m = glc.load("model.so")
    print(m.inputs)                    # [TensorSpec(name='x', dtype=float32, shape=(2, 16))]
    outputs = m(x=array)               # {"y": array, ...}
    glc.compile("model.onnx", "b.so", shapes={"x": ("batch", 16)})  # any batch, 16 wide

glc.keras.export and glc.torch.export (the exporters) and glc.ort (glc's ai.glc operators
inside ONNX Runtime) load on first use.

Pure Python (ctypes + numpy). `compile` runs the `glc` executable: $GLC_DRIVER if set, else
the driver bundled in the package (glc/bin/glc, built by `pip install ./python`), else `glc`
on PATH, else build/glc of the source tree this package sits in. A compiled model is
called through its C ABI (runtime/include/glc_runtime.h); calls are thread-safe (each call
has its own workspace and outputs).
"""
import importlib as _importlib

from ._model import GlcError, Model, TensorSpec, load
from ._compile import compile

__all__ = ["GlcError", "Model", "TensorSpec", "compile", "load"]
__version__ = "0.1.0"

# Exporters and glc.ort, imported on first use (PEP 562): `import glc` stays cheap, and
# glc.keras / glc.torch / glc.ort need their framework only when touched.
_LAZY_SUBMODULES = ("keras", "torch", "ort")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))
