/*
 * ir.h -- the glc graph IR: values, nodes, attributes, the op table, diagnostics,
 * shape inference, the verifier, the printer and the reference interpreter.
 *
 * One graph IR is used from import to codegen. A graph owns every value, node,
 * attribute, name and constant it references: strings and constant bytes come from
 * the graph's arena, and one glc_graph_destroy() releases everything.
 *
 *   glc_graph *g = glc_graph_create();
 *   int64_t dims[2] = {1, 4};
 *   glc_value_id x = glc_graph_add_value(g, "x", GLC_DT_F32, 2, dims);
 *   glc_value_id y = glc_graph_add_value(g, "y", GLC_DT_UNDEF, 0, NULL);
 *   glc_graph_add_input(g, x);
 *   glc_graph_add_node(g, GLC_OP_RELU, "relu0", &x, 1, &y, 1);
 *   glc_graph_add_output(g, y);
 *   glc_diag d = {0};
 *   if (glc_infer_shapes(g, &d) || glc_graph_verify(g, &d)) ...print d...
 *   glc_graph_destroy(g);
 *
 * Ids, not pointers: values and nodes are addressed by uint32_t ids into growable
 * arrays. Value id 0 is reserved and means "absent" (an optional input given as "").
 * A glc_value * or glc_node * is invalidated by the next add_value/add_node call.
 *
 * Nodes are kept in topological order (the importer sorts them). Rewrites append
 * nodes and set `dead`; glc_graph_compact() drops dead nodes and unused values.
 *
 * Errors are values: every fallible function returns glc_status and fills a glc_diag
 * naming the file, node, op and pass. Nothing here prints (except the printer, to the
 * FILE it is given) or exits.
 */
#ifndef GLC_IR_IR_H
#define GLC_IR_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GLC_MAX_RANK 8

#include "dim.h"

/* ---- dtypes: the numeric codes are ONNX TensorProto.DataType's ---------------- */
typedef enum glc_dtype {
    GLC_DT_UNDEF = 0,
    GLC_DT_F32 = 1,
    GLC_DT_U8 = 2,
    GLC_DT_I8 = 3,
    GLC_DT_U16 = 4,
    GLC_DT_I16 = 5,
    GLC_DT_I32 = 6,
    GLC_DT_I64 = 7,
    GLC_DT_STRING = 8,
    GLC_DT_BOOL = 9,
    GLC_DT_F16 = 10,
    GLC_DT_F64 = 11,
    GLC_DT_U32 = 12,
    GLC_DT_U64 = 13,
    GLC_DT_BF16 = 16,
} glc_dtype;

/* dtype.c */
size_t glc_dtype_size(glc_dtype t);       /* bytes per element; 0 for UNDEF/STRING */
const char *glc_dtype_name(glc_dtype t);  /* "f32", "i64", ...; "?" if unknown */
bool glc_dtype_is_float(glc_dtype t);
bool glc_dtype_is_supported(glc_dtype t); /* a dtype glc can hold in a tensor */
/* f16 and bf16 bits <-> floats: widening is exact; narrowing rounds to nearest even (an
 * f64 once, straight to f16), overflows to infinity, keeps NaN a (quiet) NaN. */
float glc_f16_to_f32(uint16_t h);
uint16_t glc_f64_to_f16(double v);
float glc_bf16_to_f32(uint16_t h);
uint16_t glc_f32_to_bf16(float v);
/* f as an integer of nbits bits (its bit pattern): truncated toward 0, saturated, NaN -> 0
 * (LLVM's fptosi.sat / fptoui.sat, and ONNX Cast's reading of out-of-range values). */
uint64_t glc_float_to_int(double f, int nbits, bool is_signed);

/* ---- diagnostics --------------------------------------------------------------- */
typedef enum glc_status {
    GLC_OK = 0,
    GLC_E_IO,          /* cannot read or write a file */
    GLC_E_PARSE,       /* malformed input file */
    GLC_E_UNSUPPORTED, /* valid input that glc does not handle */
    GLC_E_SHAPE,       /* shapes or dtypes that do not fit */
    GLC_E_INVALID_IR,  /* the verifier found a broken graph (a bug or a bad model) */
    GLC_E_LLVM,        /* LLVM rejected the module or could not emit */
    GLC_E_NOMEM,
    GLC_E_ARG,         /* bad argument from the caller (a missing input, say) */
    GLC_E_LINK,        /* the system linker failed */
    GLC_E_RUNTIME,     /* a compiled model returned an error */
    GLC_E_LIMIT,       /* a resource limit was exceeded */
} glc_status;

struct glc_node;

typedef struct glc_diag {
    glc_status status;
    const char *file; /* input file, set by the caller before importing; may be NULL */
    const char *pass; /* pass name while a pass runs; may be NULL */
    char node[128];   /* node name, "" if none */
    char op[64];      /* node op name, "" if none */
    char msg[1024];
} glc_diag;

/* diag.c */
/* Records status, the node's name and op (n may be NULL) and the message; returns s. */
glc_status glc_diag_set(glc_diag *d, glc_status s, const struct glc_node *n, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
const char *glc_status_name(glc_status s); /* "shape error", "unsupported", ... */
/* One line, no trailing newline:
 *   model.onnx: node 'lstm_1' (LSTM) [fold-constants]: shape error: ... */
void glc_diag_format(const glc_diag *d, char *buf, size_t len);

#define GLC_TRY(e)                                                                                 \
    do {                                                                                           \
        glc_status s_ = (e);                                                                       \
        if (s_ != GLC_OK) return s_;                                                               \
    } while (0)

/* ---- arena ----------------------------------------------------------------------- */
typedef struct glc_arena_block glc_arena_block;
typedef struct glc_arena {
    glc_arena_block *head;
} glc_arena;

/* arena.c */
void *glc_arena_alloc(glc_arena *a, size_t n);   /* zeroed, 64-byte aligned; NULL on OOM */
char *glc_arena_strdup(glc_arena *a, const char *s); /* NULL in, NULL out */
void *glc_arena_memdup(glc_arena *a, const void *p, size_t n);
void glc_arena_release(glc_arena *a);

/* ---- the op table ---------------------------------------------------------------- */
typedef enum glc_op {
    GLC_OP_NONE = 0,
#define OP(id, ...) GLC_OP_##id,
#include "ops.def"
#undef OP
    GLC_OP_COUNT
} glc_op;

enum {
    OPF_ELEMWISE = 1u << 0,
    OPF_COMMUTATIVE = 1u << 1,
    OPF_CONTRACTION = 1u << 2,
    OPF_RECURRENT = 1u << 3,
    OPF_SHAPE_ONLY = 1u << 4, /* moves or views bytes, no arithmetic */
    OPF_INTERNAL = 1u << 5,   /* never imported; made by passes */
    OPF_REDUCE = 1u << 6,     /* a RED row of ops.def: infer_reduce, kernel reduce */
    OPF_SYMBOLIC = 1u << 7,   /* its shape rule and lowering handle symbolic dims */
};

/* Dtype masks (bit 1 << dtype) for the op table's type constraints, as in ONNX's specs. */
#define GLC_DT_BIT(t) (1u << (t))
enum {
    GLC_TC_FLOAT = GLC_DT_BIT(GLC_DT_F16) | GLC_DT_BIT(GLC_DT_BF16) | GLC_DT_BIT(GLC_DT_F32) |
                   GLC_DT_BIT(GLC_DT_F64),
    GLC_TC_SINT = GLC_DT_BIT(GLC_DT_I8) | GLC_DT_BIT(GLC_DT_I16) | GLC_DT_BIT(GLC_DT_I32) |
                  GLC_DT_BIT(GLC_DT_I64),
    GLC_TC_UINT = GLC_DT_BIT(GLC_DT_U8) | GLC_DT_BIT(GLC_DT_U16) | GLC_DT_BIT(GLC_DT_U32) |
                  GLC_DT_BIT(GLC_DT_U64),
    GLC_TC_INT = GLC_TC_SINT | GLC_TC_UINT,
    GLC_TC_NUM = GLC_TC_FLOAT | GLC_TC_INT,
    GLC_TC_BOOL = GLC_DT_BIT(GLC_DT_BOOL),
    GLC_TC_ANY = GLC_TC_NUM | GLC_TC_BOOL,
};

/* An op's type constraints (ONNX's, with type variables T and U). sig has one letter per
 * input slot, '>', one per output slot: 'T' and 'U' are the type variables (every slot
 * of one variable has the same dtype), 'b' bool, 'i' i32, 'l' i64, 'k' i32 or i64, 'f'
 * any float, '.' any dtype, '_' any dtype of an input that gives only its dtype (an
 * elementwise op neither reads nor broadcasts it), and for an output '@' the dtype the
 * attribute 'to' names or a digit d the dtype of input d. A '*'
 * after the last input (or output) letter repeats it (variadic). t is the dtypes ONNX
 * allows for T, t_have those of them glc implements (the others are "unsupported"). */
typedef struct glc_op_types {
    uint32_t t, t_have, u;
    const char *sig;
} glc_op_types;

struct glc_graph;
typedef glc_status (*glc_infer_fn)(struct glc_graph *g, struct glc_node *n, glc_diag *d);

typedef struct glc_op_info {
    const char *id;     /* "ADD" */
    const char *domain; /* "" for the default ONNX domain, "ai.glc" */
    const char *name;   /* ONNX op_type, "Add"; NULL for internal ops */
    uint8_t in_min, in_max, out_min, out_max; /* in_max 255 = variadic */
    uint32_t flags;
    uint32_t static_in; /* bit i: input slot i must be a compile-time constant */
    glc_op_types types;
    glc_infer_fn infer;
} glc_op_info;

extern const glc_op_info glc_op_table[GLC_OP_COUNT];

/* op.c */
glc_op glc_op_lookup(const char *domain, const char *name); /* GLC_OP_NONE if unknown */
const char *glc_op_name(glc_op op);                         /* ONNX name or id */

/* op_types.c: the type constraints of ops.def. glc_op_check_types fails with GLC_E_SHAPE
 * naming the input when a present input's dtype is not one the op allows or differs from
 * another input of its type variable, and with GLC_E_UNSUPPORTED when ONNX allows it but
 * glc does not implement it. glc_op_out_dtype is output k's dtype (after the check;
 * GLC_DT_UNDEF when the signature leaves it to the infer function, or for a bad '@').
 * glc_op_sig_check validates a table row (arity, letters, masks); NULL if it is sound. */
glc_status glc_op_check_types(const struct glc_graph *g, const struct glc_node *n, glc_diag *d);
glc_dtype glc_op_out_dtype(const struct glc_graph *g, const struct glc_node *n, int k);
bool glc_op_input_type_only(glc_op op, int i); /* its slot letter is '_' */
const char *glc_op_sig_check(glc_op op);
/* The dtype attribute 'to' names (Cast): an INT code, or Cast-1's STRING ("FLOAT");
 * GLC_DT_UNDEF if absent, unknown or not a dtype glc holds. */
glc_dtype glc_attr_dtype(const struct glc_node *n, const char *name);

/* elemwise.c: the attributes of an elementwise op (an EW row of ops.def), by its spec.
 * glc_ew_attr_spec is the spec (NULL if op is not elementwise); glc_ew_check_attrs holds a
 * node to it (unsupported or bad attributes fail with a one-line diagnostic);
 * glc_ew_attr_num reads a number (false if absent without a default); glc_ew_attr_is
 * compares an attribute, or its default, with a value written as in the spec ("tanh", "1"). */
#define GLC_EW_MAX_IN 64 /* inputs of a variadic elementwise node (Sum, Max, ...) */
const char *glc_ew_attr_spec(glc_op op);
glc_status glc_ew_check_attrs(const struct glc_node *n, glc_diag *d);
bool glc_ew_attr_num(const struct glc_node *n, const char *name, double *v);
bool glc_ew_attr_is(const struct glc_node *n, const char *name, const char *value);
const char *glc_ew_spec_check(glc_op op); /* NULL if op's spec is well formed */

/* static_operands.c: input slots that must be compile-time constants because they decide
 * output shapes (the static_inputs column of ops.def: Reshape shape, Slice
 * starts/ends/axes/steps, Split split, Squeeze and Unsqueeze axes, Pad
 * pads/constant_value/axes, ReduceMean axes, Dropout ratio and training_mode). */
bool glc_op_input_is_static(glc_op op, int i);

/* ---- attributes: kinds are ONNX AttributeProto.AttributeType's ------------------- */
typedef enum glc_attr_kind {
    GLC_ATTR_UNDEF = 0,
    GLC_ATTR_FLOAT = 1,
    GLC_ATTR_INT = 2,
    GLC_ATTR_STRING = 3,
    GLC_ATTR_TENSOR = 4,
    GLC_ATTR_GRAPH = 5,
    GLC_ATTR_FLOATS = 6,
    GLC_ATTR_INTS = 7,
    GLC_ATTR_STRINGS = 8,
    GLC_ATTR_TENSORS = 9,
    GLC_ATTR_GRAPHS = 10,
    GLC_ATTR_SPARSE_TENSOR = 11,
    GLC_ATTR_SPARSE_TENSORS = 12,
    GLC_ATTR_TYPE_PROTO = 13,
    GLC_ATTR_TYPE_PROTOS = 14,
} glc_attr_kind;

/* A tensor held by the graph (attribute values; constants use glc_value). */
typedef struct glc_tensor {
    glc_dtype dtype;
    uint8_t rank;
    int64_t dims[GLC_MAX_RANK];
    const void *data; /* numel * dtype size bytes, in the arena */
} glc_tensor;

typedef struct glc_attr {
    const char *name;
    glc_attr_kind kind;
    float f;                    /* FLOAT */
    int64_t i;                  /* INT */
    const char *s;              /* STRING (NUL-terminated copy) */
    const glc_tensor *t;        /* TENSOR */
    uint32_t n;                 /* element count of a list kind */
    const float *floats;        /* FLOATS */
    const int64_t *ints;        /* INTS */
    const char *const *strings; /* STRINGS */
    const glc_tensor *tensors;  /* TENSORS */
} glc_attr;

/* Floats of hoisted input projections per chunk (about the L2 of our machines): the
 * hoist-projections pass's budget, and the lowering's when it is left to run time
 * (glc_hoist_steps = -1, for symbolic time or batch). */
#define GLC_HOIST_BUDGET_FLOATS (1 << 19)

/* ---- values and nodes ------------------------------------------------------------ */
typedef uint32_t glc_value_id; /* index into g->values; 0 = none */
typedef uint32_t glc_node_id;  /* index into g->nodes */
#define GLC_NO_NODE UINT32_MAX

typedef struct glc_value {
    const char *name;
    glc_dtype dtype;
    uint8_t rank;
    glc_dim dims[GLC_MAX_RANK]; /* ONNX order, e.g. (N, C, H, W); constants or symbolic */
    glc_node_id producer;       /* GLC_NO_NODE for inputs and constants */
    const void *data;           /* constant bytes (arena) or NULL */
    const glc_dim *sdata;       /* an integer tensor of shape arithmetic whose elements
                                   are known as dims, some symbolic (Shape of a symbolic
                                   input, and what is computed from it); data is NULL */
    bool is_input, is_output;
} glc_value;

#define GLC_MAX_GUARDS 4 /* run-time Ifs nested in one another */

typedef struct glc_node {
    glc_op op;
    const char *name;   /* ONNX node name (or a made-up one), for diagnostics */
    glc_value_id *in;   /* n_in ids, 0 = absent optional input */
    glc_value_id *out;  /* n_out ids, 0 = output not requested */
    uint16_t n_in, n_out;
    glc_attr *attrs;
    uint16_t n_attrs;
    bool dead;
    /* Guards: a node in a branch of a run-time If (frontend/import_if.c) runs only when
     * each guard[k] (k < n_guards: the conditions of the Ifs around it, innermost last)
     * is true, or false for k in guard_false's bits; else its outputs are unspecified
     * (read only by the If's Where, which selects the other branch's). Each guard is also
     * an input of that If's Where nodes, which follow every guarded node: passes that
     * track uses through inputs keep it alive and defined long enough. */
    glc_value_id guard[GLC_MAX_GUARDS];
    uint8_t n_guards, guard_false;
    /* A Loop's body (ir/loop.c): a graph of its own, owned by this graph (destroyed with
     * it, or when compaction drops the node), whose parent is this graph. NULL for every
     * other op. */
    struct glc_graph *body;
} glc_node;

typedef struct glc_graph {
    glc_arena arena;
    glc_value *values; /* values[0] is the reserved "none" */
    uint32_t n_values, cap_values;
    glc_node *nodes;
    uint32_t n_nodes, cap_nodes;
    glc_value_id *inputs, *outputs;
    uint32_t n_inputs, n_outputs, cap_inputs, cap_outputs;
    const char *name;  /* graph name */
    int64_t opset;     /* default-domain opset version */
    int64_t opset_glc; /* ai.glc opset version, 0 if not imported */
    /* symbolic dimensions (dim.h, dim.c) */
    glc_symbol *syms;
    uint32_t n_syms, cap_syms;
    struct glc_dim_table *dimtab; /* interned expressions and constraints (dim.c) */
    /* The graph whose node owns this one as its body (a Loop's), or NULL at the top. A body
     * has no symbols or expressions of its own: its dims are its root graph's, which
     * dim.c uses for every graph (glc_graph_root). */
    struct glc_graph *parent;
} glc_graph;

/* dim.c */
struct glc_dim_table *glc_dim_table_create(void); /* NULL on OOM */
void glc_dim_table_destroy(struct glc_dim_table *t);

/* graph.c */
glc_graph *glc_graph_create(void); /* NULL on OOM */
/* A body graph for a node of parent (a Loop's): its dims are parent's (see parent). */
glc_graph *glc_graph_create_body(glc_graph *parent); /* NULL on OOM */
glc_graph *glc_graph_root(const glc_graph *g);        /* the top graph of g's nesting */
void glc_graph_destroy(glc_graph *g);                 /* and the bodies of its nodes */
/* Adds a value; name is copied (NULL gets a made-up unique name); dims copied
 * (rank 0 = scalar, or shape not yet known when dtype is UNDEF). Returns 0 on OOM. */
glc_value_id glc_graph_add_value(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                 const int64_t *dims);
/* A constant value; data (numel * dtype size bytes) is copied into the arena. */
glc_value_id glc_graph_add_const(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                 const int64_t *dims, const void *data);
/* Adds a node; in/out copied; sets out values' producer. Returns its id, GLC_NO_NODE on OOM. */
glc_node_id glc_graph_add_node(glc_graph *g, glc_op op, const char *name, const glc_value_id *in,
                               int n_in, const glc_value_id *out, int n_out);
glc_status glc_graph_add_input(glc_graph *g, glc_value_id v);
glc_status glc_graph_add_output(glc_graph *g, glc_value_id v);
glc_value_id glc_graph_find_value(const glc_graph *g, const char *name); /* 0 if none */
/* Drops dead nodes and values nothing references; renumbers ids; keeps order. */
glc_status glc_graph_compact(glc_graph *g);

/* Attributes of a node (appended; name and payloads copied into the arena). */
glc_status glc_node_set_attr(glc_graph *g, glc_node_id n, const glc_attr *a);
glc_status glc_node_set_int(glc_graph *g, glc_node_id n, const char *name, int64_t v);
glc_status glc_node_set_float(glc_graph *g, glc_node_id n, const char *name, float v);
glc_status glc_node_set_string(glc_graph *g, glc_node_id n, const char *name, const char *v);
glc_status glc_node_set_ints(glc_graph *g, glc_node_id n, const char *name, const int64_t *v,
                             uint32_t count);
glc_status glc_node_set_floats(glc_graph *g, glc_node_id n, const char *name, const float *v,
                               uint32_t count);
const glc_attr *glc_node_attr(const glc_node *n, const char *name); /* NULL if absent */
int64_t glc_attr_int(const glc_node *n, const char *name, int64_t dflt);
float glc_attr_float(const glc_node *n, const char *name, float dflt);
const char *glc_attr_string(const glc_node *n, const char *name, const char *dflt);
/* Returns the list (NULL if absent) and its length in *count. */
const int64_t *glc_attr_ints(const glc_node *n, const char *name, uint32_t *count);
const float *glc_attr_floats(const glc_node *n, const char *name, uint32_t *count);

/* Shapes. */
int64_t glc_value_numel(const glc_value *v); /* 1 for a scalar; -1 if a dim is symbolic */
glc_dim glc_value_numel_dim(const glc_graph *g, const glc_value *v); /* symbolic too */
/* "f32[batch,T + 1,64]": with the symbols' names (glc_shape_str prints them as "?"). */
void glc_value_shape_str(const glc_graph *g, const glc_value *v, char *buf, size_t len);
size_t glc_value_nbytes(const glc_value *v);
/* Fills buf with "f32[2,3]" (or "?" for an unknown shape). */
void glc_shape_str(glc_dtype dt, int rank, const int64_t *dims, char *buf, size_t len);
/* The value of input i of n, or NULL if the input is absent. */
const glc_value *glc_node_input(const glc_graph *g, const glc_node *n, int i);
/* graph.c: guards (run-time If) of two nodes equal; dst's guards made src's. */
bool glc_node_same_guards(const glc_node *a, const glc_node *b);
void glc_node_copy_guards(glc_node *dst, const glc_node *src);

/* ---- scheduling attributes: set on nodes by passes, followed by codegen ------------ */
#define GLC_ATTR_HOIST_STEPS "glc_hoist_steps" /* int: input-projection steps hoisted per
                                                  chunk (passes/hoist_projections.c) */
#define GLC_ATTR_FUSE_CELL "glc_fuse_cell"     /* 0/1: the cell update runs in the recurrent
                                                  product's epilogue (passes/fuse_cell.c) */
#define GLC_ATTR_FUSE_CELL_MAX_BATCH "glc_fuse_cell_max_batch" /* int, with glc_fuse_cell = 1:
                  the GEMM step fused only at (run-time) batches up to it, unfused above (both
                  steps emitted for a symbolic batch); batches up to 4 may take the small
                  step whatever it says (passes/fuse_cell.c) */
#define GLC_ATTR_WAVEFRONT "glc_wavefront"     /* 0/1: GridLSTM as anti-diagonal wavefronts
                                                  (passes/wavefront.c) */
#define GLC_ATTR_LOOP_CARRIED "glc_carried"    /* int: a Loop's number of loop-carried values
                                                  (set by the importer; ir/loop.c) */

/* loop.c: a Loop node's carried values (inputs 2..2+N, outputs 0..N) and scan outputs
 * (outputs N..), checked against its body's inputs and outputs (GLC_E_INVALID_IR). */
glc_status glc_loop_parts(const glc_graph *g, const glc_node *n, int *n_carried, int *n_scan,
                          glc_diag *d);

/* ---- analyses and checks ------------------------------------------------------- */
/* infer.c: runs each node's infer function in order; fills output dtype and shape.
 * Fails with GLC_E_SHAPE naming the node on incompatible inputs or attributes. */
glc_status glc_infer_shapes(glc_graph *g, glc_diag *d);
/* The same, also folding into a constant (where shape inference can: constants, static
 * shapes, shape arithmetic) the nodes that compute value want (0 for none): the importer
 * asks so for an If's condition. */
glc_status glc_infer_shapes_folding(glc_graph *g, glc_value_id want, glc_diag *d);
/* control.c: what If condition cond (not a constant) depends on, and how to bind it, as
 * "it depends on graph input 'sr': bind it with --bind sr=FILE.npy". */
void glc_if_condition_origin(const glc_graph *g, glc_value_id cond, char *why, size_t len);
/* static_operands.c: need[v] (n_values entries) = value v must be a compile-time constant:
 * it feeds a static input slot, directly or through the nodes computing it (not through
 * Shape, which needs only its input's shape). glc_infer_shapes folds such values that
 * small nodes compute from constants and shapes. */
void glc_graph_static_values(const glc_graph *g, bool *need);
/* Broadcast two shapes the numpy way; returns false if incompatible. */
bool glc_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                         int64_t *out);

/* dim_bind.c: makes a graph with symbolic dims static for inputs of the given dims
 * (rank[i], dims[i] for graph input i): the symbols take their values from them (checked
 * against their bounds, the static dims and every constraint, as a compiled model's
 * planning call does), then every dim is replaced by its value and every shape tensor
 * becomes a constant. GLC_E_SHAPE naming the input or constraint otherwise. */
glc_status glc_graph_bind_inputs(glc_graph *g, const int *rank, const int64_t *const *dims,
                                 glc_diag *d);

/* fill.c: ConstantOfShape's fill value, its dtype and bytes (f32 0 by default). */
glc_status glc_fill_value(const struct glc_node *n, glc_dtype *dt, uint8_t *bytes, glc_diag *d);

/* verify.c: ids in range, topological order, arity within the op table, every used
 * value defined once, shapes known and non-negative, constants have data. */
glc_status glc_graph_verify(const glc_graph *g, glc_diag *d);

/* print.c: a deterministic text form of the graph (see print.c for the grammar). */
void glc_graph_print(const glc_graph *g, FILE *f);

/* ---- host tensors (used by the interpreter, I/O and the driver) --------------------- */
typedef struct glc_host_tensor {
    glc_dtype dtype;
    int rank;
    int64_t dims[GLC_MAX_RANK];
    void *data; /* malloc'ed, owned */
    size_t nbytes;
} glc_host_tensor;

/* host_tensor.c */
glc_status glc_host_tensor_alloc(glc_host_tensor *t, glc_dtype dt, int rank, const int64_t *dims,
                                 glc_diag *d); /* zero-filled */
void glc_host_tensor_fini(glc_host_tensor *t);

/* ---- the reference interpreter (the oracle) ---------------------------------------- */
/* interp.c: runs g on inputs (one buffer per graph input, in g->inputs order, with the
 * graph's static shapes) and writes outputs (caller-allocated, glc_value_nbytes each).
 * Plain loops, never optimised. Returns GLC_E_UNSUPPORTED for ops without a kernel. */
glc_status glc_interp_run(const glc_graph *g, const void *const *inputs, void *const *outputs,
                          glc_diag *d);
/* Evaluates one node: in[i] is the data of input i (NULL if absent), out[i] the
 * destination of output i (NULL if not requested), shapes taken from g's values. */
glc_status glc_interp_node(const glc_graph *g, const glc_node *n, const void *const *in,
                           void *const *out, glc_diag *d);

#endif
