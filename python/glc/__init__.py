"""glc from Python: compile ONNX models with the glc driver and run compiled models.

    import glc
    glc.compile("model.onnx", "model.so", opt=3)
    m = glc.load("model.so")
    print(m.inputs)                    # [TensorSpec(name='x', dtype=float32, shape=(2, 16))]
    outputs = m(x=array)               # {"y": array, ...}
    glc.compile("model.onnx", "b.so", shapes={"x": ("batch", 16)})  # any batch, 16 wide

Pure Python (ctypes + numpy). `compile` runs the `glc` executable: $GLC_DRIVER if set, else
`glc` on PATH, else build/glc of the source tree this package sits in. A compiled model is
called through its C ABI (runtime/include/glc_runtime.h); calls are thread-safe (each call
has its own workspace and outputs).
"""
from ._model import GlcError, Model, TensorSpec, load
from ._compile import compile

__all__ = ["GlcError", "Model", "TensorSpec", "compile", "load"]
__version__ = "0.1.0"
