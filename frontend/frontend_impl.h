/*
 * frontend_impl.h -- declarations private to frontend/.
 *
 * The protobuf-c types (Onnx__...) appear here and in the frontend sources only; the public
 * header frontend.h never mentions them.
 */
#ifndef GLC_FRONTEND_FRONTEND_IMPL_H
#define GLC_FRONTEND_FRONTEND_IMPL_H

#include "frontend.h"
#include "onnx.pb-c.h"

/* A decoded TensorProto: dtype, shape and malloc'ed little-endian bytes. */
typedef struct fe_tensor {
    glc_dtype dtype;
    int rank;
    int64_t dims[GLC_MAX_RANK];
    void *data;    /* malloc'ed, at least 1 byte; owned by the caller */
    size_t nbytes; /* numel * dtype size */
} fe_tensor;

/* tensor_proto.c: decodes raw_data or the typed fields (float_data, int32_data, ...)
 * of tp. `what` names the tensor in messages ("initializer 'w'"). Fails with
 * GLC_E_PARSE (bad sizes, missing dtype), GLC_E_UNSUPPORTED (strings, external
 * data, complex) or GLC_E_LIMIT (rank, element count). */
glc_status fe_tensor_decode(const Onnx__TensorProto *tp, const char *what, fe_tensor *t,
                            glc_diag *d);

/* ONNX TensorProto.DataType code -> glc dtype; GLC_DT_UNDEF if glc cannot hold it. */
glc_dtype fe_dtype_from_onnx(int32_t code);

/* Checked shape arithmetic: numel * esize into *nbytes; false on overflow of
 * int64 or size_t, or a negative dimension. */
bool fe_shape_nbytes(int rank, const int64_t *dims, size_t esize, size_t *nbytes);

/* Name -> id table (open addressing, fixed capacity chosen up front). Keys are
 * borrowed: they must outlive the table (proto strings or arena copies). */
typedef struct fe_names {
    const char **keys;
    uint32_t *vals;
    size_t cap; /* a power of two, at least twice the number of keys */
} fe_names;

/* The state of one import: the graph being built, the graph proto, and the value
 * names defined so far (name -> glc_value_id). An If branch being inlined is a scope of
 * its own (import_if.c): gp is the branch, and lookups fall back to the outer scopes. */
/* The values a Loop body reads from enclosing scopes (import_loop.c): name, the body's
 * value (a trailing body input, or a copy of a constant), and the enclosing scope's. */
typedef struct fe_capture {
    const char *name;
    glc_value_id inner, outer;
    bool is_input; /* inner is a body input (outer a value of the enclosing graph) */
} fe_capture;
typedef struct fe_captures {
    fe_capture *items;
    size_t n, cap;
} fe_captures;

typedef struct fe_import {
    glc_graph *g;
    const Onnx__GraphProto *gp;
    fe_names values;
    struct fe_import *outer; /* the enclosing scope of an If branch or Loop body, or NULL */
    /* Set in the scope of a Loop body, a graph of its own: a name found in an enclosing
     * scope becomes a capture (fe_lookup). NULL in an If branch (the enclosing graph's). */
    fe_captures *captures;
    const char *scope; /* "then_branch of If 'if_b'" for diagnostics, or NULL at the top */
    /* the guards of the nodes this scope adds (glc_node.guard: the branches of run-time
     * Ifs it is in) */
    glc_value_id guard[GLC_MAX_GUARDS];
    uint8_t n_guards, guard_false;
    glc_diag *d;
    const glc_import_options *opt; /* never NULL */
    const glc_import_limits *limits; /* never NULL */
    bool *bound;                   /* [opt->n_bind]: binding k was used */
    bool *shape_used, *dim_used;   /* [opt->n_shapes], [opt->n_dims] */
} fe_import;

/* import.c */
bool fe_names_init(fe_names *t, size_t n_keys);
void fe_names_fini(fe_names *t);
bool fe_names_put(fe_names *t, const char *key, uint32_t val); /* false if present */
bool fe_names_get(const fe_names *t, const char *key, uint32_t *val);
size_t fe_count_names(const Onnx__GraphProto *gp); /* names a graph defines, at most */
/* name in this scope, else in the enclosing ones: across a Loop body's boundary, a value of
 * the body (a new trailing body input, or a constant copied in) that stands for it. */
bool fe_lookup(fe_import *im, const char *name, uint32_t *val);
/* Defines name (a string of the proto, which outlives the import) as value v in this
 * scope: GLC_E_NOMEM for v == 0, GLC_E_PARSE if this scope defines it already. */
glc_status fe_define(fe_import *im, const char *name, glc_value_id v);
/* The name a new value called name gets: name itself at the top level, or in a branch when
 * the graph has no value of that name; else name~K, unused (buf holds it, len >= 300). */
const char *fe_value_name(const fe_import *im, const char *name, char *buf, size_t len);
glc_status fe_read_initializer(fe_import *im, const Onnx__TensorProto *tp);

/* import_nodes.c: checks every op is supported (one diagnostic for all that are
 * not), sorts the nodes topologically and adds them (Constant nodes as constants). */
glc_status fe_import_nodes(fe_import *im);
/* glc_graph_add_node, the node guarded as this scope's nodes are (a run-time If's branch). */
glc_node_id fe_add_node(fe_import *im, glc_op op, const char *name, const glc_value_id *in,
                        int n_in, const glc_value_id *out, int n_out);
/* Creates node np's output values (untyped; id 0 for an output not requested) and
 * defines their names in this scope. */
glc_status fe_node_outputs(fe_import *im, const Onnx__NodeProto *np, glc_value_id *out);
/* A diagnostic naming ONNX node np (index idx in its graph); returns s. */
glc_status fe_node_err(glc_diag *d, glc_status s, const Onnx__NodeProto *np, size_t idx,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* import_if.c: node idx of im->gp, an If: the branch its condition selects when that is
 * known at compile time (folded by glc_infer_shapes_folding unless skip_infer), inlined
 * into the graph; else an If node, which shape inference refuses (ir/control.c). */
glc_status fe_emit_if(fe_import *im, size_t idx);
/* The graph attribute `name` of np, or NULL. */
const Onnx__GraphProto *fe_graph_attr(const Onnx__NodeProto *np, const char *name);

/* import_loop.c: node idx of im->gp, a Loop: a Loop node owning its body graph, with the
 * values the body reads from enclosing scopes lifted into trailing inputs. A Scan becomes
 * the same Loop (fe_emit_scan). */
glc_status fe_emit_loop(fe_import *im, size_t idx);
glc_status fe_emit_scan(fe_import *im, size_t idx);
/* A capture of name from im's enclosing scopes into im (a Loop body's scope). */
bool fe_capture_lookup(fe_import *im, const char *name, uint32_t *val);

/* import_contrib.c: whether op is a com.microsoft contrib op the importer replaces, and
 * the ONNX nodes that replace node idx of im->gp (inputs resolved, outputs created). */
bool fe_is_contrib(glc_op op);
glc_status fe_emit_contrib(fe_import *im, size_t idx, const glc_value_id *in,
                           const glc_value_id *out);

/* import_attrs.c: reads attribute a of ONNX node np into node id. */
glc_status fe_attr_read(glc_graph *g, glc_node_id id, const Onnx__AttributeProto *a, glc_diag *d);
/* Decodes tp into an arena-owned glc_tensor. */
glc_status fe_tensor_to_arena(glc_graph *g, const Onnx__TensorProto *tp, const char *what,
                              glc_tensor *out, glc_diag *d);

/* limits.c: the three checks of glc_import_limits (see its header comment): the raw
 * bytes before unpacking, the unpacked main graph before it is copied, and every value
 * after shape inference. GLC_E_LIMIT (or GLC_E_PARSE for bytes that are not protobuf). */
glc_status fe_check_wire(const void *buf, size_t len, const glc_import_limits *l, glc_diag *d);
glc_status fe_check_model(const Onnx__ModelProto *m, const glc_import_limits *l, glc_diag *d);
glc_status fe_check_values(const glc_graph *g, const glc_import_limits *l, glc_diag *d);

/* tensor_io.c: reads a whole file into a malloc'ed buffer (GLC_E_IO with strerror);
 * GLC_E_LIMIT once it holds more than max bytes. */
glc_status fe_read_file(const char *path, uint64_t max, unsigned char **buf, size_t *len,
                        glc_diag *d);

#endif
