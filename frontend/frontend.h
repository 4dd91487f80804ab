/*
 * frontend.h -- ONNX import, and tensor files (.npy, serialized TensorProto).
 *
 *   glc_diag d = {.file = "model.onnx"};
 *   glc_graph *g = NULL;
 *   if (glc_import_onnx_file("model.onnx", &g, &d) != GLC_OK) { ...report d...; }
 *   ... glc_graph_destroy(g);
 *
 * No Onnx__* (protobuf-c) type appears outside frontend/.
 */
#ifndef GLC_FRONTEND_FRONTEND_H
#define GLC_FRONTEND_FRONTEND_H

#include "ir.h"

/* import.c
 * Reads a ModelProto and builds a graph: graph inputs (minus those that are also
 * initializers) with their dtypes and dims -- a dim_param becomes the symbol of that
 * name, an unnamed dynamic dim the fresh symbol `<input>.<axis>` (ir/dim.h) --, initializers (raw_data and typed
 * fields) and Constant nodes as constant values, every attribute kind, the opset
 * imports (default domain and ai.glc). Nodes are sorted topologically.
 * Then runs glc_infer_shapes and glc_graph_verify.
 * Errors: GLC_E_IO (cannot read), GLC_E_PARSE (not a ModelProto, dangling names,
 * cycles, bad tensors), GLC_E_UNSUPPORTED (one diagnostic listing every unsupported
 * `domain::op` with its node names), GLC_E_SHAPE.
 * On success *out owns a new graph; on failure *out is NULL. */
glc_status glc_import_onnx_file(const char *path, glc_graph **out, glc_diag *d);
glc_status glc_import_onnx_buffer(const void *buf, size_t len, glc_graph **out, glc_diag *d);

/* Import options. A binding turns the named graph input into a constant holding the
 * given tensor (`glc --bind NAME=FILE.npy`): its dtype must be the input's and its shape
 * must match the input's static dims (a dim_param accepts any size). Used for operands
 * glc needs at compile time (Reshape's shape, Slice's starts, ...: see
 * glc_op_input_is_static). A binding naming no graph input is GLC_E_ARG. skip_infer stops
 * after building the graph (no glc_infer_shapes, no verify): node outputs stay untyped,
 * enough to ask glc_graph_static_values which inputs must be bound. NULL options = the
 * plain import. The bound tensors are copied; the caller keeps ownership. */
typedef struct glc_import_binding {
    const char *name;
    const glc_host_tensor *value;
} glc_import_binding;
/* Resource limits of an import (limits.c; `glc --limit NAME=N`). Each is checked before
 * the memory it guards is allocated, with overflow-safe arithmetic, and exceeding one is a
 * GLC_E_LIMIT naming the value, the limit and the flag that raises it. The counts on the
 * wire (file size, nesting, messages, nodes, graphs) are checked before protobuf-c unpacks
 * anything, so a small file cannot make it build a deep recursion or millions of structs.
 * glc_import_limits_default() gives the defaults; names, defaults and hard maxima are in
 * glc_import_limit_table. */
typedef struct glc_import_limits {
    uint64_t file_bytes;   /* size of the model file */
    uint64_t nesting;      /* protobuf messages within each other (subgraphs, types) */
    uint64_t messages;     /* protobuf messages in the file, all kinds */
    uint64_t graphs;       /* the main graph, subgraphs and training/function graphs */
    uint64_t nodes;        /* nodes, in all graphs and functions */
    uint64_t node_io;      /* inputs, or outputs, of one node */
    uint64_t attr_elems;   /* entries of one list attribute */
    uint64_t string_bytes; /* one name or string attribute */
    uint64_t rank;         /* rank of a tensor */
    uint64_t dim;          /* one dimension of a tensor */
    uint64_t tensor_elems; /* elements of one tensor: inputs, weights, every inferred value */
    uint64_t weight_bytes; /* all initializers and constants together */
} glc_import_limits;

typedef struct glc_import_limit_info {
    const char *name; /* the flag's spelling: "string-bytes" */
    size_t offset;    /* of the field in glc_import_limits */
    uint64_t def, max;
    const char *what;
} glc_import_limit_info;
extern const glc_import_limit_info glc_import_limit_table[];
extern const size_t glc_import_limit_count;
glc_import_limits glc_import_limits_default(void);
/* Sets limit `name` to v: GLC_E_ARG for an unknown name or v above the hard maximum. */
glc_status glc_import_limit_set(glc_import_limits *l, const char *name, uint64_t v, glc_diag *d);

/* Dimension bindings. `glc --shape INPUT=D0xD1x...` gives input INPUT's dims (a dim
 * of -1, written `?`, stays as the model declares it; a name makes it that symbol, even
 * where the model has a static size: `--shape x=T,batch,64`); `--dim PARAM=N` gives every dim
 * named PARAM the value N; `--max-dim PARAM=N` bounds symbol PARAM by N (describe()'s
 * worst-case workspace and the run-time check of the inputs). A name that matches no
 * input or dim_param, a rank or a static dim that disagrees with the model, is GLC_E_ARG. */
typedef struct glc_import_shape {
    const char *input;
    int rank;
    int64_t dims[GLC_MAX_RANK];
    const char *names[GLC_MAX_RANK]; /* non-NULL: the dim is this symbol (dims[] ignored) */
} glc_import_shape;
typedef struct glc_import_dim {
    const char *param;
    int64_t value;
} glc_import_dim;
typedef struct glc_import_options {
    const glc_import_binding *bind;
    uint32_t n_bind;
    const glc_import_shape *shapes;
    uint32_t n_shapes;
    const glc_import_dim *dims, *max_dims;
    uint32_t n_dims, n_max_dims;
    bool symbolic_inputs; /* every input dim, static ones too, becomes a symbol (as onnx-mlir's
                             IMPORTER_FORCE_DYNAMIC): the conformance runner's --dynamic */
    bool skip_infer;
    const glc_import_limits *limits; /* NULL: glc_import_limits_default() */
} glc_import_options;
glc_status glc_import_onnx_file_opts(const char *path, const glc_import_options *o,
                                     glc_graph **out, glc_diag *d);
glc_status glc_import_onnx_buffer_opts(const void *buf, size_t len, const glc_import_options *o,
                                       glc_graph **out, glc_diag *d);

/* tensor_io.c
 * .npy (format 1.0/2.0/3.0, little-endian, C order; f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)
 * and serialized onnx TensorProto (as in the ONNX backend test data).
 * glc_npy_write writes a temporary file beside path and renames it: the file is
 * written whole or not at all. */
glc_status glc_npy_read(const char *path, glc_host_tensor *t, glc_diag *d);
glc_status glc_npy_write(const char *path, const glc_host_tensor *t, glc_diag *d);
glc_status glc_tensorproto_read(const char *path, glc_host_tensor *t, char **name, glc_diag *d);
/* The same from memory; `name` (a file name, say) only labels diagnostics. */
glc_status glc_npy_read_buffer(const void *buf, size_t len, const char *name, glc_host_tensor *t,
                               glc_diag *d);
glc_status glc_tensorproto_read_buffer(const void *buf, size_t len, const char *name,
                                       glc_host_tensor *t, char **tensor_name, glc_diag *d);

#endif
