"""glc.ort: glc's ai.glc operators (ConvLSTM, MDLSTM, GridLSTM) inside ONNX Runtime.

    import glc
    sess = glc.ort.session("model.onnx", intra_op_num_threads=2)
    outputs = sess.run(None, {"X": x})

libglc_ort.so is an ONNX Runtime custom-op library (needs ONNX Runtime >= 1.30): each ai.glc
node is compiled by glc on its first run for a set of input shapes (or at session creation
when the model's shapes are static) into $GLC_ORT_CACHE (default ~/.cache/glc-ort) and runs
on glc's thread pool. See docs/embedding.md.
"""
import os

from ._model import GlcError

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    env = os.environ.get("GLC_ORT_LIB")
    if env:
        return [env]
    found = [os.path.join(_HERE, "lib", "libglc_ort.so")]
    from ._compile import _driver_or_none  # the driver's tree holds the library too
    driver = _driver_or_none()
    if driver:
        bindir = os.path.dirname(os.path.abspath(driver))
        found += [os.path.join(bindir, "ort", "libglc_ort.so"),
                  os.path.join(bindir, "..", "lib", "libglc_ort.so")]
    found.append(os.path.join(_HERE, "..", "..", "build", "ort", "libglc_ort.so"))
    return found


def library_path():
    """The path of libglc_ort.so: $GLC_ORT_LIB, else glc/lib/ (a wheel's), else beside the
    glc driver (build/ort/ of a build tree, lib/ of an installed prefix)."""
    tried = _candidates()
    for path in tried:
        if os.path.isfile(path):
            return os.path.normpath(path)
    raise GlcError(f"cannot find libglc_ort.so: set GLC_ORT_LIB; looked at {', '.join(tried)}")


def session(model_path, providers=None, **options):
    """An onnxruntime.InferenceSession of model_path with libglc_ort.so registered.
    options set onnxruntime.SessionOptions attributes (intra_op_num_threads=2, ...)."""
    import onnxruntime

    so = onnxruntime.SessionOptions()
    for name, value in options.items():
        if not hasattr(so, name):
            raise TypeError(f"onnxruntime.SessionOptions has no option {name!r}")
        setattr(so, name, value)
    so.register_custom_ops_library(library_path())
    return onnxruntime.InferenceSession(os.fspath(model_path), sess_options=so,
                                        providers=providers or ["CPUExecutionProvider"])
