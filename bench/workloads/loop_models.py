"""W8's Keras models, and their tf2onnx export (run as a script in the oracle venv).

W8 (w8_loop_recurrences.py) builds these models in the benchmark venv (TensorFlow, glc.keras)
and asks this file, run by build-venv-oracle's python (tf2onnx 1.17.0, the same TensorFlow and
Keras: tests/fixtures/keras_tf2onnx/requirements.txt), to export the same model with the same
weights through tf2onnx:

    build-venv-oracle/bin/python bench/workloads/loop_models.py KIND BATCH WEIGHTS.npz OUT.onnx

tf2onnx keeps both models as Loops (tests/fixtures/keras_tf2onnx_loops/README.md says what the
bodies compute). The weights travel in the .npz (model.get_weights() order), so both venvs see
the same numbers.
"""
import os
import sys

GRU_T, GRU_C, GRU_H = 100, 64, 128           # masked GRU: T steps of C features, H units
CONV_T, CONV_S, CONV_C, CONV_F = 20, 32, 1, 32  # two ConvLSTM2D layers, S x S frames, F filters
OPSET = 13


def build(kind, batch):
    """The Keras model (static batch): 'gru' Masking(0) -> GRU(128) (last state), 'convlstm'
    ConvLSTM2D(32, 3x3, same, return_sequences) -> ConvLSTM2D(32, 3x3, same) (last state)."""
    import keras
    L = keras.layers
    if kind == "gru":
        x = keras.Input((GRU_T, GRU_C), batch_size=batch, name="input")
        y = L.GRU(GRU_H)(L.Masking(0.0)(x))
    elif kind == "convlstm":
        x = keras.Input((CONV_T, CONV_S, CONV_S, CONV_C), batch_size=batch, name="input")
        y = L.ConvLSTM2D(CONV_F, 3, padding="same", return_sequences=True)(x)
        y = L.ConvLSTM2D(CONV_F, 3, padding="same")(y)
    else:
        raise ValueError(f"unknown W8 model '{kind}'")
    return keras.Model(x, y, name=f"w8_{kind}")


def export(kind, batch, weights_npz, out_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf
    import tf2onnx
    model = build(kind, batch)
    with np.load(weights_npz) as w:
        model.set_weights([w[f"w{k}"] for k in range(len(w.files))])
    spec = [tf.TensorSpec(model.inputs[0].shape, tf.float32, name="input")]
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=OPSET)
    if not any(n.op_type == "Loop" for n in proto.graph.node):
        raise SystemExit(f"tf2onnx exported W8 '{kind}' without a Loop")
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(proto.SerializeToString())
    os.replace(tmp, out_path)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    export(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4])
