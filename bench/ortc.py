"""The "ort-c" peer: ONNX Runtime called from C (bench/peers/ort_peer.c), driven by the
harness call by call.

ort_peer dlopens the libonnxruntime.so of the onnxruntime wheel that this Python imports
(so it is the same library and version as the "onnxruntime" peer) and times each Run
itself, in C: the harness asks it over a pipe for one timed call at a time, so it
alternates with the other systems like any runner, while no Python runs inside its timed
region (time_alternating uses a runner's timed() when it has one).

Streamed (ort_factory_c(..., stream=...)): the model has the recurrent state as inputs and
outputs, and ort_peer feeds each call's state outputs back as the next call's inputs
(--feed, no copy): the per-call cost of a streaming service in C.
"""
import glob
import os
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "peers", "ort_peer.c")
_built = {}


def ort_library():
    """The libonnxruntime.so inside the imported onnxruntime package."""
    import onnxruntime
    capi = os.path.join(os.path.dirname(onnxruntime.__file__), "capi")
    libs = sorted(glob.glob(os.path.join(capi, "libonnxruntime.so*")))
    if not libs:
        raise RuntimeError(f"no libonnxruntime.so* in {capi}")
    return libs[-1]


def peer_binary():
    """ort_peer compiled once per process with the system's cc (one small C file)."""
    if "exe" not in _built:
        d = tempfile.mkdtemp(prefix="glc-ort-peer-")
        exe = os.path.join(d, "ort_peer")
        subprocess.run(["cc", "-std=c11", "-O2", SOURCE, "-o", exe, "-ldl", "-lm"], check=True)
        _built["exe"] = exe
    return _built["exe"]


def _dims(shape):
    return "x".join(str(int(d)) for d in shape)


def _static_shape(value_info):
    dims = value_info.type.tensor_type.shape.dim
    if any(not d.HasField("dim_value") for d in dims):
        raise ValueError(f"output {value_info.name} has a symbolic shape")
    return [d.dim_value for d in dims]


class PeerProcess:
    """ort_peer --serve on a model: run() for an output, timed(primers) for a time."""

    def __init__(self, model, feeds, threads, feed_back=(), exe=None, lib=None):
        import onnx
        self._dir = tempfile.TemporaryDirectory(prefix="glc-ort-c-")
        d = self._dir.name
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        args = [exe or peer_binary(), "--serve", "--lib", lib or ort_library(), "--model", path,
                "--threads", str(threads)]
        fed = {i for _, i in feed_back}
        for inp in model.graph.input:
            if inp.name in feeds:
                a = np.ascontiguousarray(feeds[inp.name], np.float32)
                f = os.path.join(d, inp.name + ".bin")
                a.tofile(f)
                args += ["--input", f"{inp.name}={f}:{_dims(a.shape)}"]
            elif inp.name in fed:  # state fed back: starts at zero
                args += ["--input", f"{inp.name}=-:{_dims(_static_shape(inp))}"]
        self.shapes = [(o.name, _static_shape(o)) for o in model.graph.output]
        args += sum((["--output", f"{n}:{_dims(s)}"] for n, s in self.shapes), [])
        args += sum((["--feed", f"{o}={i}"] for o, i in feed_back), [])
        self._dump = os.path.join(d, "out.bin")
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, bufsize=1)

    def _ask(self, line):
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        reply = self._proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"ort_peer exited ({self._proc.wait()}) after '{line}'")
        return reply.split()

    def timed(self, primers=0):
        """One call timed in C (after `primers` untimed ones), in seconds."""
        return float(self._ask(f"time 1 {int(primers)}")[0])

    def outputs(self):
        """Every output of the last call, in the model's order."""
        self._ask(f"dump {self._dump}")
        flat = np.fromfile(self._dump, np.float32)
        out, at = [], 0
        for _, s in self.shapes:
            n = int(np.prod(s))
            out.append(flat[at:at + n].reshape(s))
            at += n
        return out

    def __call__(self):
        self.timed()
        return self.outputs()[0]

    def close(self):
        if self._proc.poll() is None:
            self._proc.stdin.write("quit\n")
            self._proc.stdin.close()
            self._proc.wait()
        self._dir.cleanup()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def ort_factory_c(wl, model=None, feed_back=()):
    """A harness factory: ort_peer on wl.onnx_model (or `model`, with the state outputs
    fed back to the inputs named in feed_back: [(output, input), ...]) and wl.feeds."""
    def factory(threads):
        return PeerProcess(model or wl.onnx_model, wl.feeds, threads, feed_back)
    return factory
