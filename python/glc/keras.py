"""glc.keras.export: a Keras 3 model to an ONNX file glc compiles, recurrent layers as
single recurrent nodes (glc.ConvLSTM, ONNX LSTM/GRU/RNN), never a Loop.

    import glc.keras
    glc.keras.export(model, "model.onnx", batch_size=1)

The ONNX graph keeps Keras's channels-last layout between layers; layers whose ONNX op is
channels-first (Conv, pooling, ConvLSTM) are wrapped in Transposes. Shapes are static: the
batch dimension is fixed at export. Weight mappings follow the ai.glc spec
(../shared/spec/ops.md) and the ONNX operators: Keras gate blocks i,f,c,o become i,o,f,c,
kernels [k.., C_in, C_out] become [C_out, C_in, k..], Keras 3's hard_sigmoid becomes
HardSigmoid(1/6, 0.5), padding "same" becomes auto_pad SAME_UPPER. BatchNormalization is
folded into a Mul and an Add. `Masking` followed by LSTM, GRU or SimpleRNN
(return_sequences=False) becomes that node's `sequence_lens` (the kept steps per row): equal to
Keras for post-padded input only. Layers not in the table raise ExportError naming the layer.
"""
import numpy as np

_IFCO_TO_IOFC = [0, 3, 1, 2]


class ExportError(Exception):
    pass


class _Graph:
    def __init__(self):
        self.nodes, self.inits, self.n = [], {}, 0
        self.seq_lens = {}  # output of a Masking layer -> its int32 [N] count of kept steps

    def name(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, array, hint="c"):
        nm = self.name(hint)
        self.inits[nm] = np.asarray(array)
        return nm

    def op(self, op_type, inputs, hint=None, n_out=1, domain=None, **attrs):
        from onnx import helper
        outs = [self.name(hint or op_type.lower()) for _ in range(n_out)]
        kw = {"domain": domain} if domain else {}
        self.nodes.append(helper.make_node(op_type, inputs, outs, **kw, **attrs))
        return outs[0] if n_out == 1 else outs

    def reshape(self, x, shape):
        return self.op("Reshape", [x, self.const(np.array(shape, np.int64), "shape")])

    def transpose(self, x, perm):
        return self.op("Transpose", [x], perm=list(perm))


# ---- activations ------------------------------------------------------------------------

def _act_name(act):
    name = act if isinstance(act, str) else getattr(act, "__name__", str(act))
    return name.split(".")[-1]


_RNN_ACTS = {"tanh": ("Tanh", None, None), "sigmoid": ("Sigmoid", None, None),
             "relu": ("Relu", None, None), "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5),
             "linear": ("Affine", 1.0, 0.0), "softsign": ("Softsign", None, None),
             "softplus": ("Softplus", None, None), "elu": ("Elu", 1.0, None)}


def _rnn_acts(layer, names):
    """ONNX activations/alpha/beta attributes for the given Keras activation names."""
    acts, alpha, beta = [], [], []
    for n in names:
        if n not in _RNN_ACTS:
            raise ExportError(f"layer '{layer.name}': activation '{n}' has no ONNX equivalent")
        a, al, be = _RNN_ACTS[n]
        acts.append(a)
        if al is not None:
            alpha.append(al)
        if be is not None:
            beta.append(be)
    attrs = {"activations": acts}
    if alpha:
        attrs["activation_alpha"] = alpha
    if beta:
        attrs["activation_beta"] = beta
    return attrs


def _apply_act(g, layer, x, act):
    n = _act_name(act)
    if n == "linear":
        return x
    simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}
    if n in simple:
        return g.op(simple[n], [x])
    if n == "softmax":
        return g.op("Softmax", [x], axis=-1)
    if n == "log_softmax":
        return g.op("LogSoftmax", [x], axis=-1)
    if n == "hard_sigmoid":
        return g.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    if n == "leaky_relu":
        return g.op("LeakyRelu", [x], alpha=0.2)
    raise ExportError(f"layer '{layer.name}': activation '{n}' is not supported")


# ---- layers -----------------------------------------------------------------------------

def _cf_perm(rank):  # channels-last [N, S.., C] -> channels-first [N, C, S..]
    return [0, rank - 1] + list(range(1, rank - 1))


def _cl_perm(rank):  # channels-first -> channels-last
    return [0] + list(range(2, rank)) + [1]


def _padding_attrs(layer, kernel, dilation=None):
    pad = layer.padding
    r = len(kernel)
    if pad == "valid":
        return {"pads": [0] * (2 * r)}
    if pad == "same":
        return {"auto_pad": "SAME_UPPER"}
    if pad == "causal":
        d = dilation or [1] * r
        return {"pads": [(kernel[0] - 1) * d[0], 0]}
    raise ExportError(f"layer '{layer.name}': padding '{pad}' is not supported")


def _conv(g, layer, x, shape):
    kernel, *bias = layer.get_weights()
    r = kernel.ndim - 2
    w = np.transpose(kernel, (r + 1, r) + tuple(range(r))).astype(np.float32)
    ins = [g.transpose(x, _cf_perm(r + 2)), g.const(w, "W")]
    if bias:
        ins.append(g.const(bias[0].astype(np.float32), "B"))
    dil = list(layer.dilation_rate)
    y = g.op("Conv", ins, kernel_shape=list(kernel.shape[:r]), strides=list(layer.strides),
             dilations=dil, group=int(getattr(layer, "groups", 1)),
             **_padding_attrs(layer, kernel.shape[:r], dil))
    return _apply_act(g, layer, g.transpose(y, _cl_perm(r + 2)), layer.activation)


def _pool(g, layer, x, shape):
    r = len(shape) - 2
    k = list(layer.pool_size)
    attrs = dict(kernel_shape=k, strides=list(layer.strides), **_padding_attrs(layer, k))
    if "Average" in type(layer).__name__:
        y = g.op("AveragePool", [g.transpose(x, _cf_perm(r + 2))], count_include_pad=0, **attrs)
    else:
        y = g.op("MaxPool", [g.transpose(x, _cf_perm(r + 2))], **attrs)
    return g.transpose(y, _cl_perm(r + 2))


def _global_avg(g, layer, x, shape):
    axes = list(range(1, len(shape) - 1))
    keep = int(bool(getattr(layer, "keepdims", False)))
    return g.op("ReduceMean", [x], axes=axes, keepdims=keep)  # opset 17: axes is an attribute


def _dense(g, layer, x, shape):
    kernel, *bias = layer.get_weights()
    y = g.op("MatMul", [x, g.const(kernel.astype(np.float32), "W")])
    if bias:
        y = g.op("Add", [y, g.const(bias[0].astype(np.float32), "B")])
    return _apply_act(g, layer, y, layer.activation)


def _batchnorm(g, layer, x, shape):
    axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
    if axis not in (-1, len(shape) - 1):
        raise ExportError(f"layer '{layer.name}': BatchNormalization axis {axis} is not supported "
                          f"(only the channels-last axis)")
    w = dict(zip([v.path.split("/")[-1] for v in layer.weights], layer.get_weights()))
    c = shape[-1]
    gamma = w.get("gamma", np.ones(c, np.float32))
    beta = w.get("beta", np.zeros(c, np.float32))
    scale = (gamma / np.sqrt(w["moving_variance"] + layer.epsilon)).astype(np.float32)
    shift = (beta - w["moving_mean"] * scale).astype(np.float32)
    return g.op("Add", [g.op("Mul", [x, g.const(scale, "bn_scale")]), g.const(shift, "bn_shift")])


def _time_flip(g, y, t):
    return g.op("Gather", [y, g.const(np.arange(t - 1, -1, -1, dtype=np.int64), "rev")], axis=1)


def _rnn_common(layer, x_shape):
    direction = "reverse" if layer.go_backwards else "forward"
    return direction, x_shape[1]


def _lstm_tensors(layer, h, k_rec_b):
    kernel, rec, *bias = k_rec_b
    reorder = lambda a: np.concatenate([np.split(a, 4, axis=-1)[j] for j in _IFCO_TO_IOFC], -1)
    W = reorder(kernel).T[None].astype(np.float32)
    R = reorder(rec).T[None].astype(np.float32)
    b = reorder(bias[0]) if bias else np.zeros(4 * h, np.float32)
    B = np.concatenate([b, np.zeros(4 * h, np.float32)])[None].astype(np.float32)
    return W, R, B


def _recurrent(g, layer, x, shape, op, W, R, B, n_gates_acts, extra):
    n, t = shape[0], shape[1]
    h = layer.units
    direction, _ = _rnn_common(layer, shape)
    acts = _rnn_acts(layer, n_gates_acts)
    inputs = [x, g.const(W, "W"), g.const(R, "R"), g.const(B, "B")]
    if x in g.seq_lens:
        if layer.return_sequences:  # Keras repeats the last output at masked steps, ONNX zeroes
            raise ExportError(f"layer '{layer.name}': a masked input needs "
                              f"return_sequences=False")
        inputs.append(g.seq_lens[x])
    outs = g.op(op, inputs, n_out=2,
                hidden_size=h, layout=1, direction=direction, **acts, **extra)
    y, yh = outs
    if layer.return_sequences:
        y = g.reshape(y, [n, t, h])
        return _time_flip(g, y, t) if layer.go_backwards else y
    return g.reshape(yh, [n, h])


def _lstm(g, layer, x, shape):
    if layer.return_state:
        raise ExportError(f"layer '{layer.name}': return_state is not supported")
    W, R, B = _lstm_tensors(layer, layer.units, layer.get_weights())
    names = [_act_name(layer.recurrent_activation), _act_name(layer.activation),
             _act_name(layer.activation)]
    return _recurrent(g, layer, x, shape, "LSTM", W, R, B, names, {})


def _gru(g, layer, x, shape):
    if layer.return_state:
        raise ExportError(f"layer '{layer.name}': return_state is not supported")
    kernel, rec, *bias = layer.get_weights()
    h = layer.units
    W, R = kernel.T[None].astype(np.float32), rec.T[None].astype(np.float32)
    if not bias:
        B = np.zeros((1, 6 * h), np.float32)
    elif layer.reset_after:
        B = np.concatenate([bias[0][0], bias[0][1]])[None].astype(np.float32)
    else:
        B = np.concatenate([bias[0], np.zeros(3 * h, np.float32)])[None].astype(np.float32)
    names = [_act_name(layer.recurrent_activation), _act_name(layer.activation)]
    return _recurrent(g, layer, x, shape, "GRU", W, R, B, names,
                      {"linear_before_reset": int(bool(layer.reset_after))})


def _simple_rnn(g, layer, x, shape):
    if layer.return_state:
        raise ExportError(f"layer '{layer.name}': return_state is not supported")
    kernel, rec, *bias = layer.get_weights()
    h = layer.units
    b = bias[0] if bias else np.zeros(h, np.float32)
    B = np.concatenate([b, np.zeros(h, np.float32)])[None].astype(np.float32)
    return _recurrent(g, layer, x, shape, "RNN", kernel.T[None].astype(np.float32),
                      rec.T[None].astype(np.float32), B, [_act_name(layer.activation)], {})


def _convlstm(g, layer, x, shape):
    if layer.return_state:
        raise ExportError(f"layer '{layer.name}': return_state is not supported")
    kernel, rec, *bias = layer.get_weights()
    r = kernel.ndim - 2
    f = layer.filters
    reorder = lambda a: np.concatenate([np.split(a, 4, axis=-1)[j] for j in _IFCO_TO_IOFC], -1)
    to_oc = (r + 1, r) + tuple(range(r))
    W = np.transpose(reorder(kernel), to_oc)[None].astype(np.float32)
    R = np.transpose(reorder(rec), to_oc)[None].astype(np.float32)
    b = reorder(bias[0]) if bias else np.zeros(4 * f, np.float32)
    B = np.concatenate([b, np.zeros(4 * f, np.float32)])[None].astype(np.float32)
    n, t = shape[0], shape[1]
    xt = g.transpose(x, [0, 1, r + 2] + list(range(2, r + 2)))          # [N, T, C, S..]
    names = [_act_name(layer.recurrent_activation), _act_name(layer.activation),
             _act_name(layer.activation)]
    attrs = dict(hidden_size=f, layout=1, kernel_shape=list(kernel.shape[:r]),
                 strides=list(layer.strides), dilations=list(layer.dilation_rate),
                 direction="reverse" if layer.go_backwards else "forward",
                 **_rnn_acts(layer, names), **_padding_attrs(layer, kernel.shape[:r]))
    y, yh = g.op("ConvLSTM", [xt, g.const(W, "W"), g.const(R, "R"), g.const(B, "B")], n_out=2,
                 domain="ai.glc", **attrs)
    out_sp = list(layer.compute_output_shape(tuple(shape))[-(r + 1):-1])
    if layer.return_sequences:
        y = g.reshape(y, [n, t, f] + out_sp)
        y = g.transpose(y, [0, 1] + list(range(3, r + 3)) + [2])
        return _time_flip(g, y, t) if layer.go_backwards else y
    yh = g.reshape(yh, [n, f] + out_sp)
    return g.transpose(yh, _cl_perm(r + 2))


def _bidirectional(g, layer, x, shape):
    fwd, bwd = layer.forward_layer, layer.backward_layer
    if type(fwd).__name__ not in ("LSTM", "GRU", "SimpleRNN") or layer.merge_mode != "concat":
        raise ExportError(f"layer '{layer.name}': only Bidirectional(LSTM|GRU|SimpleRNN) with "
                          f"merge_mode='concat' is supported")
    if fwd.return_state or fwd.go_backwards:
        raise ExportError(f"layer '{layer.name}': return_state/go_backwards are not supported")
    h, n, t = fwd.units, shape[0], shape[1]
    kind = type(fwd).__name__
    if kind == "LSTM":
        tf_, tb = _lstm_tensors(fwd, h, fwd.get_weights()), _lstm_tensors(bwd, h, bwd.get_weights())
        names = [_act_name(fwd.recurrent_activation), _act_name(fwd.activation),
                 _act_name(fwd.activation)]
        op, extra = "LSTM", {}
    else:
        raise ExportError(f"layer '{layer.name}': Bidirectional({kind}) is not supported yet")
    W, R, B = (np.concatenate([a, b]) for a, b in zip(tf_, tb))
    acts = _rnn_acts(layer, names * 2)
    y, yh = g.op(op, [x, g.const(W, "W"), g.const(R, "R"), g.const(B, "B")], n_out=2,
                 hidden_size=h, layout=1, direction="bidirectional", **acts, **extra)
    if fwd.return_sequences:
        return g.reshape(y, [n, t, 2 * h])
    return g.reshape(yh, [n, 2 * h])


def _masking(g, layer, x, shape):
    """Masking(v): a step whose features all equal v is zeroed; the next layer (LSTM, GRU or
    SimpleRNN) gets the count of kept steps per row as sequence_lens. That is Keras's mask only
    for post-padded input (the masked steps of a row all at its end)."""
    v = g.const(np.array(layer.mask_value, np.float32), "mask_value")
    differs = g.op("Cast", [g.op("Not", [g.op("Equal", [x, v])])], to=1)
    count = g.op("ReduceSum", [differs, g.const(np.array([-1], np.int64), "axes")], keepdims=1)
    zero = g.const(np.array(0, np.float32), "zero")
    keep = g.op("Cast", [g.op("Greater", [count, zero])], to=1)  # [N, T, 1]: 1 kept, 0 masked
    y = g.op("Mul", [x, keep])
    kept = g.op("ReduceSum", [keep, g.const(np.array([1, 2], np.int64), "axes")], keepdims=0)
    g.seq_lens[y] = g.op("Cast", [kept], to=6)  # int32 [N]
    return y


def _time_distributed(g, layer, x, shape):
    n, t = shape[0], shape[1]
    inner_shape = [n * t] + list(shape[2:])
    y = _convert_layer(g, layer.layer, [g.reshape(x, inner_shape)], [inner_shape])
    out = list(layer.layer.compute_output_shape(tuple(inner_shape)))
    return g.reshape(y, [n, t] + out[1:])


def _flatten(g, layer, x, shape):
    return g.reshape(x, [shape[0], int(np.prod(shape[1:]))])


def _reshape(g, layer, x, shape):
    return g.reshape(x, [shape[0]] + list(layer.target_shape))


def _permute(g, layer, x, shape):
    return g.transpose(x, [0] + list(layer.dims))


_SINGLE = {
    "Dense": _dense, "Conv1D": _conv, "Conv2D": _conv, "Conv3D": _conv,
    "MaxPooling1D": _pool, "MaxPooling2D": _pool, "MaxPooling3D": _pool,
    "AveragePooling1D": _pool, "AveragePooling2D": _pool, "AveragePooling3D": _pool,
    "GlobalAveragePooling1D": _global_avg, "GlobalAveragePooling2D": _global_avg,
    "GlobalAveragePooling3D": _global_avg, "BatchNormalization": _batchnorm,
    "LSTM": _lstm, "GRU": _gru, "SimpleRNN": _simple_rnn, "ConvLSTM1D": _convlstm,
    "ConvLSTM2D": _convlstm, "ConvLSTM3D": _convlstm, "Bidirectional": _bidirectional,
    "TimeDistributed": _time_distributed, "Flatten": _flatten, "Reshape": _reshape,
    "Permute": _permute, "Masking": _masking,
    "Activation": lambda g, l, x, s: _apply_act(g, l, x, l.activation),
    "ReLU": lambda g, l, x, s: g.op("Relu", [x]),
    "Softmax": lambda g, l, x, s: g.op("Softmax", [x], axis=-1),
    "LeakyReLU": lambda g, l, x, s: g.op("LeakyRelu", [x], alpha=float(l.negative_slope)),
    "Dropout": lambda g, l, x, s: x, "SpatialDropout1D": lambda g, l, x, s: x,
    "SpatialDropout2D": lambda g, l, x, s: x, "GaussianNoise": lambda g, l, x, s: x,
}
_MERGE = {"Add": "Add", "Subtract": "Sub", "Multiply": "Mul"}


def _convert_layer(g, layer, xs, shapes):
    kind = type(layer).__name__
    if any(x in g.seq_lens for x in xs) and kind not in ("LSTM", "GRU", "SimpleRNN"):
        raise ExportError(f"layer '{layer.name}' ({kind}) after Masking: only LSTM, GRU and "
                          f"SimpleRNN take a mask")
    if kind in _SINGLE:
        if len(xs) != 1:
            raise ExportError(f"layer '{layer.name}' ({kind}) takes one input, got {len(xs)}")
        return _SINGLE[kind](g, layer, xs[0], list(shapes[0]))
    if kind in _MERGE:
        y = xs[0]
        for x in xs[1:]:
            y = g.op(_MERGE[kind], [y, x])
        return y
    if kind == "Concatenate":
        return g.op("Concat", xs, axis=int(layer.axis))
    if kind == "Average":
        s = xs[0]
        for x in xs[1:]:
            s = g.op("Add", [s, x])
        return g.op("Div", [s, g.const(np.array(len(xs), np.float32), "count")])
    raise ExportError(f"layer '{layer.name}' ({kind}) is not supported by glc.keras.export")


def _static(shape, batch):
    return [batch if d is None else int(d) for d in shape]


def _mask_args(node):
    """ids of the tensors a layer call receives as its `mask` argument."""
    import keras
    args = getattr(node, "arguments", None)
    mask = args.kwargs.get("mask") if args is not None else None
    return set() if mask is None else {id(t) for t in keras.tree.flatten(mask)}


def _mask_only_calls(model):
    """ids of the calls Keras adds to compute masks (NotEqual, Any after a Masking layer):
    calls whose outputs reach only `mask` arguments and other such calls."""
    calls = [n for op in model.operations for n in op._inbound_nodes]
    uses = {}  # tensor id -> [(call id, passed as a mask)]
    for n in calls:
        masks = _mask_args(n)
        for t in n.input_tensors:
            uses.setdefault(id(t), []).append((id(n), id(t) in masks))
    outs = {id(t) for t in model.outputs}
    skip = set()
    for n in reversed(calls):  # consumers before producers
        if n.output_tensors and all(
                id(t) not in outs and uses.get(id(t)) and
                all(as_mask or u in skip for u, as_mask in uses[id(t)])
                for t in n.output_tensors):
            skip.add(id(n))
    return skip


def export(model, path=None, batch_size=1, opset=17, name=None):
    """Exports a Keras 3 Sequential or functional model; returns the onnx.ModelProto (and
    saves it when path is given). Inputs keep the Keras input names, outputs are named
    output_0, output_1, ..."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    if getattr(model, "_functional", None) is not None:
        model = model._functional  # a Sequential built on a keras.Input
    if not hasattr(model, "operations"):
        raise ExportError("export needs a Sequential model that starts with keras.Input, or a "
                          "functional model")
    g = _Graph()
    env = {}  # keras tensor id -> (onnx name, static shape)
    inputs = []
    for t in model.inputs:
        nm = t.name
        env[id(t)] = (nm, _static(t.shape, batch_size))
        inputs.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, env[id(t)][1]))
    mask_only = _mask_only_calls(model)
    for layer in model.operations:
        if type(layer).__name__ == "InputLayer":
            continue
        for node in layer._inbound_nodes:
            masks = _mask_args(node)
            data = [t for t in node.input_tensors if id(t) not in masks]
            if id(node) in mask_only or not all(id(t) in env for t in data):
                continue  # a mask computation, or a node of another model sharing this layer
            xs = [env[id(t)][0] for t in data]
            shapes = [env[id(t)][1] for t in data]
            if masks and not any(x in g.seq_lens for x in xs):
                raise ExportError(f"layer '{layer.name}': only a mask from a Masking layer is "
                                  f"supported")
            y = _convert_layer(g, layer, xs, shapes)
            for t in node.output_tensors:
                env[id(t)] = (y, _static(t.shape, batch_size))
    outputs = []
    for k, t in enumerate(model.outputs):
        src, shape = env[id(t)]
        g.nodes.append(helper.make_node("Identity", [src], [f"output_{k}"]))
        outputs.append(helper.make_tensor_value_info(f"output_{k}", TensorProto.FLOAT, shape))
    graph = helper.make_graph(g.nodes, name or model.name, inputs, outputs,
                              [numpy_helper.from_array(a, k) for k, a in g.inits.items()])
    m = helper.make_model(graph, producer_name="glc.keras",
                          opset_imports=[helper.make_opsetid("", opset),
                                         helper.make_opsetid("ai.glc", 1)])
    m.ir_version = 8
    if path is not None:
        onnx.save(m, path)
    return m
