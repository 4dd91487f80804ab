/*
 * import.c -- ONNX ModelProto -> glc graph: the model and graph level.
 *
 * The import runs in a fixed order, and each step may only refer to names the
 * previous steps defined:
 *
 *   1. check the raw bytes against the limits (limits.c: size, nesting, counts), unpack
 *      the protobuf (protobuf-c; no graph = not an ONNX model), and check the unpacked
 *      main graph's names, lists and declared shapes against the limits;
 *   2. opset imports: the default domain ("" or "ai.onnx") sets g->opset, "ai.glc"
 *      sets g->opset_glc; other domains matter only if a node uses them, and then
 *      that node is reported as unsupported;
 *   3. initializers become constant values (tensor_proto.c decodes them);
 *   4. graph inputs that are not initializers become graph inputs; a dim_param becomes
 *      a symbol (ir/dim.h), an unnamed dim the fresh symbol "<input>.<axis>", and the
 *      --shape/--dim bindings replace them by constants (--max-dim bounds them);
 *   5. nodes (import_nodes.c): unsupported ops are reported together, then the nodes
 *      are sorted topologically and added; an If with a condition known by then is
 *      replaced by the branch it selects (import_if.c);
 *   6. graph outputs (tensors: a sequence or an optional is unsupported), then
 *      glc_infer_shapes, the limits on every inferred value, and glc_graph_verify.
 *
 * Options (glc_import_options): a graph input named by a binding becomes a constant with
 * the bound tensor at step 4 (checked against the declared dtype and static dims);
 * skip_infer ends the import after step 6's outputs.
 *
 * Names are resolved through one hash table (fe_names) from name to value id, so a
 * name defined twice is caught wherever it happens. The unpacked proto is freed on
 * every path; a failed import destroys the half-built graph and returns *out = NULL.
 */
#include "frontend_impl.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- the name table ---------------------------------------------------------------- */

static size_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)h;
}

bool fe_names_init(fe_names *t, size_t n_keys) {
    t->cap = 16;
    while (t->cap < 2 * n_keys) {
        if (t->cap > SIZE_MAX / 4 / sizeof(char *)) return false;
        t->cap *= 2;
    }
    t->keys = calloc(t->cap, sizeof *t->keys);
    t->vals = calloc(t->cap, sizeof *t->vals);
    return t->keys && t->vals;
}

void fe_names_fini(fe_names *t) {
    free(t->keys);
    free(t->vals);
    memset(t, 0, sizeof *t);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find_slot(const fe_names *t, const char *key) {
    size_t i = hash_str(key) & (t->cap - 1);
    while (t->keys[i] && strcmp(t->keys[i], key))
        i = (i + 1) & (t->cap - 1);
    return i;
}

bool fe_names_put(fe_names *t, const char *key, uint32_t val) {
    size_t i = find_slot(t, key);
    if (t->keys[i]) return false;
    t->keys[i] = key;
    t->vals[i] = val;
    return true;
}

bool fe_names_get(const fe_names *t, const char *key, uint32_t *val) {
    size_t i = find_slot(t, key);
    if (!t->keys[i]) return false;
    *val = t->vals[i];
    return true;
}

/* ---- opsets, initializers, inputs, outputs ------------------------------------------ */

static void read_opsets(glc_graph *g, const Onnx__ModelProto *m) {
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        const char *dom = o->domain ? o->domain : "";
        if (!strcmp(dom, "") || !strcmp(dom, "ai.onnx"))
            g->opset = o->version;
        else if (!strcmp(dom, "ai.glc"))
            g->opset_glc = o->version;
    }
}

bool fe_lookup(fe_import *im, const char *name, uint32_t *val) {
    for (; im; im = im->outer) {
        if (fe_names_get(&im->values, name, val)) return true;
        if (im->captures) return fe_capture_lookup(im, name, val);
    }
    return false;
}

glc_status fe_define(fe_import *im, const char *name, glc_value_id v) {
    if (!v) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory adding '%s'", name);
    if (!fe_names_put(&im->values, name, v))
        return glc_diag_set(im->d, GLC_E_PARSE, NULL, "value '%s' is defined twice", name);
    return GLC_OK;
}

const char *fe_value_name(const fe_import *im, const char *name, char *buf, size_t len) {
    if (!im->outer || !glc_graph_find_value(im->g, name)) return name;
    for (unsigned k = 1;; k++) {
        snprintf(buf, len, "%.250s~%u", name, k);
        if (!glc_graph_find_value(im->g, buf)) return buf;
    }
}

glc_status fe_read_initializer(fe_import *im, const Onnx__TensorProto *tp) {
    const char *name = tp->name ? tp->name : "";
    if (!*name) return glc_diag_set(im->d, GLC_E_PARSE, NULL, "an initializer has no name");
    char what[300], buf[300];
    snprintf(what, sizeof what, "initializer '%s'", name);
    fe_tensor t;
    GLC_TRY(fe_tensor_decode(tp, what, &t, im->d));
    glc_value_id v = glc_graph_add_const(im->g, fe_value_name(im, name, buf, sizeof buf),
                                         t.dtype, t.rank, t.dims, t.data);
    free(t.data);
    return fe_define(im, name, v);
}

/* The --shape binding for input name (marked used), or NULL. */
static const glc_import_shape *shape_binding(fe_import *im, const char *name) {
    for (uint32_t k = 0; k < im->opt->n_shapes; k++)
        if (!strcmp(im->opt->shapes[k].input, name)) {
            im->shape_used[k] = true;
            return &im->opt->shapes[k];
        }
    return NULL;
}

/* The dim named param: its --dim value (marked used), else its symbol. */
static glc_dim param_dim(fe_import *im, const char *param) {
    for (uint32_t k = 0; k < im->opt->n_dims; k++)
        if (!strcmp(im->opt->dims[k].param, param)) {
            im->dim_used[k] = true;
            return im->opt->dims[k].value;
        }
    return glc_dim_symbol(im->g, param);
}

/* Whether a dim_param names a dim: exporters also write "?" (paddle2onnx) or "-1" for an
 * unknown one, which would otherwise make every such dim of the model one symbol. */
static bool names_a_dim(const char *param) {
    for (const char *c = param; *c; c++)
        if (isalpha((unsigned char)*c) || *c == '_') return true;
    return false;
}

/* Dim i of input name as declared: a value, a dim_param's symbol (or --dim value), or
 * the fresh symbol "<name>.<i>" for an unnamed or negative dim (or a dim_param that names
 * nothing, such as "?"). */
static glc_dim declared_dim(fe_import *im, const char *name, int i,
                            const Onnx__TensorShapeProto__Dimension *dm) {
    if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
        dm->dim_value >= 0 && !im->opt->symbolic_inputs)
        return dm->dim_value;
    if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && dm->dim_param &&
        names_a_dim(dm->dim_param))
        return param_dim(im, dm->dim_param);
    char fresh[300];
    snprintf(fresh, sizeof fresh, "%.280s.%d", name, i);
    return param_dim(im, fresh);
}

/* Dims of a graph input declared without a shape, all from its --shape binding b: a
 * size, a name's symbol, or for '?' the fresh symbol "<name>.<i>". */
static glc_status bound_shape(fe_import *im, const char *name, const glc_import_shape *b,
                              int *rank, int64_t *dims) {
    *rank = b->rank;
    for (int i = 0; i < *rank; i++) {
        char fresh[300];
        snprintf(fresh, sizeof fresh, "%.280s.%d", name, i);
        dims[i] = b->names[i] ? param_dim(im, b->names[i])
                  : b->dims[i] >= 0 ? b->dims[i] : param_dim(im, fresh);
    }
    if (glc_dim_failed(im->g)) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    return GLC_OK;
}

/* Dims of a graph input: declared (declared_dim), then its --shape binding applied. */
static glc_status input_shape(fe_import *im, const char *name, const Onnx__TensorShapeProto *sp,
                              int *rank, int64_t *dims) {
    const glc_import_shape *b = shape_binding(im, name);
    if (!sp && b) return bound_shape(im, name, b, rank, dims);
    if (!sp)
        return glc_diag_set(im->d, GLC_E_UNSUPPORTED, NULL,
                            "input '%s' has no shape (not even a rank); give it with "
                            "--shape %s=D0xD1x...", name, name);
    if (sp->n_dim > GLC_MAX_RANK)
        return glc_diag_set(im->d, GLC_E_LIMIT, NULL,
                            "input '%s' has rank %zu; glc allows at most %d", name, sp->n_dim,
                            GLC_MAX_RANK);
    *rank = (int)sp->n_dim;
    for (int i = 0; i < *rank; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = sp->dim[i];
        if (dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            dm->dim_value < -1) /* -1 is an exporter's "unknown"; the rest are nonsense */
            return glc_diag_set(im->d, GLC_E_PARSE, NULL, "input '%s' has dimension %lld", name,
                                (long long)dm->dim_value);
        dims[i] = declared_dim(im, name, i, dm);
    }
    if (glc_dim_failed(im->g)) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    if (!b) return GLC_OK;
    if (b->rank != *rank)
        return glc_diag_set(im->d, GLC_E_ARG, NULL, "--shape %s has %d dims; the model's input "
                            "has rank %d", name, b->rank, *rank);
    for (int i = 0; i < *rank; i++) {
        if (b->names[i]) {
            dims[i] = param_dim(im, b->names[i]);
            continue;
        }
        if (b->dims[i] < 0) continue;
        if (glc_dim_is_const(dims[i]) && dims[i] != b->dims[i])
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "--shape %s: axis %d is %lld in the "
                                "model, not %lld", name, i, (long long)dims[i],
                                (long long)b->dims[i]);
        /* a named dim takes the size everywhere, as --dim would: the requirement makes
         * import_pinned bind its symbol */
        int st = glc_dim_is_sym(dims[i]) && b->dims[i] >= 1
                     ? glc_dim_require_eq(im->g, dims[i], b->dims[i], NULL, "--shape")
                     : GLC_OK;
        if (st == GLC_E_SHAPE)
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "--shape %s: axis %d cannot be %lld "
                                "(its dim's bounds)", name, i, (long long)b->dims[i]);
        if (st != GLC_OK) return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
        dims[i] = b->dims[i];
    }
    return GLC_OK;
}

/* Binding k for name, or NULL. */
static const glc_host_tensor *find_binding(const fe_import *im, const char *name, uint32_t *k) {
    for (*k = 0; *k < im->opt->n_bind; (*k)++)
        if (im->opt->bind[*k].name && !strcmp(im->opt->bind[*k].name, name))
            return im->opt->bind[*k].value;
    return NULL;
}

/* "i64[3,?]": the declared type of an input ('?' for a dim_param). */
static void declared_str(glc_dtype dt, const Onnx__TensorShapeProto *sp, char *buf, size_t len) {
    size_t k = (size_t)snprintf(buf, len, "%s", glc_dtype_name(dt));
    for (size_t i = 0; sp && i < sp->n_dim && k < len; i++) {
        const Onnx__TensorShapeProto__Dimension *dm = sp->dim[i];
        bool v = dm->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        k += (size_t)snprintf(buf + k, len - k, v ? "%s%lld" : "%s?", i ? "," : "[",
                              (long long)dm->dim_value);
    }
    if (sp && k < len) snprintf(buf + k, len - k, sp->n_dim ? "]" : "[]");
}

/* Input `name` declared (dt, sp) becomes a constant holding t. */
static glc_status bind_input(fe_import *im, const char *name, glc_dtype dt,
                             const Onnx__TensorShapeProto *sp, const glc_host_tensor *t) {
    bool ok = t->dtype == dt && (!sp || sp->n_dim == (size_t)t->rank);
    for (int i = 0; ok && sp && i < t->rank; i++)
        ok = sp->dim[i]->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
             sp->dim[i]->dim_value == t->dims[i];
    if (!ok) {
        char want[200], got[200];
        glc_shape_str(t->dtype, t->rank, t->dims, got, sizeof got);
        declared_str(dt, sp, want, sizeof want);
        return glc_diag_set(im->d, GLC_E_ARG, NULL, "bound value for input '%s' is %s; the model "
                            "declares %s", name, got, want);
    }
    return fe_define(im, name,
                     glc_graph_add_const(im->g, name, t->dtype, t->rank, t->dims, t->data));
}

static glc_status read_input(fe_import *im, const Onnx__ValueInfoProto *vi) {
    const char *name = vi->name ? vi->name : "";
    uint32_t known;
    if (*name && fe_names_get(&im->values, name, &known) && im->g->values[known].data)
        return GLC_OK; /* an initializer listed as an input (IR < 4): a constant */
    if (!*name) return glc_diag_set(im->d, GLC_E_PARSE, NULL, "a graph input has no name");
    const Onnx__TypeProto *tp = vi->type;
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return glc_diag_set(im->d, GLC_E_UNSUPPORTED, NULL, "input '%s' is not a tensor", name);
    glc_dtype dt = fe_dtype_from_onnx(tp->tensor_type->elem_type);
    if (dt == GLC_DT_UNDEF)
        return glc_diag_set(
            im->d, GLC_E_UNSUPPORTED, NULL, "input '%s' has unsupported element type %s (%d)", name,
            glc_dtype_name((glc_dtype)tp->tensor_type->elem_type), (int)tp->tensor_type->elem_type);
    uint32_t k;
    const glc_host_tensor *bound = find_binding(im, name, &k);
    if (bound) {
        im->bound[k] = true;
        return bind_input(im, name, dt, tp->tensor_type->shape, bound);
    }
    int rank = 0;
    int64_t dims[GLC_MAX_RANK];
    GLC_TRY(input_shape(im, name, tp->tensor_type->shape, &rank, dims));
    size_t nbytes;
    if (!glc_dims_symbolic(rank, dims) && !fe_shape_nbytes(rank, dims, glc_dtype_size(dt), &nbytes))
        return glc_diag_set(im->d, GLC_E_LIMIT, NULL, "input '%s' is too large", name);
    glc_value_id v = glc_graph_add_value(im->g, name, dt, rank, dims);
    GLC_TRY(fe_define(im, name, v));
    if (glc_graph_add_input(im->g, v) != GLC_OK)
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    return GLC_OK;
}

static glc_status read_output(fe_import *im, const Onnx__ValueInfoProto *vi) {
    const char *name = vi->name ? vi->name : "";
    const Onnx__TypeProto *tp = vi->type;
    if (tp && tp->value_case != ONNX__TYPE_PROTO__VALUE__NOT_SET &&
        tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return glc_diag_set(im->d, GLC_E_UNSUPPORTED, NULL, "output '%s' is not a tensor", name);
    uint32_t v;
    if (!fe_names_get(&im->values, name, &v))
        return glc_diag_set(im->d, GLC_E_PARSE, NULL, "graph output '%s' is not defined", name);
    if (glc_graph_add_output(im->g, v) != GLC_OK)
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    return GLC_OK;
}

/* "batch, T" (at most len bytes): the symbols of the inputs, for diagnostics. */
static void symbol_list(const glc_graph *g, char *buf, size_t len) {
    size_t k = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < g->n_syms && k < len; i++) {
        int w = snprintf(buf + k, len - k, "%s%s", i ? ", " : "", g->syms[i].name);
        if (w > 0) k += (size_t)w;
    }
    if (!g->n_syms) snprintf(buf, len, "none");
}

/* Every --shape and --dim was used; --max-dim bounds are set on their symbols. */
static glc_status check_dim_options(fe_import *im) {
    const glc_import_options *o = im->opt;
    char syms[400];
    symbol_list(im->g, syms, sizeof syms);
    for (uint32_t k = 0; k < o->n_shapes; k++)
        if (!im->shape_used[k])
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "--shape %s: the model has no graph "
                                "input of that name", o->shapes[k].input);
    for (uint32_t k = 0; k < o->n_dims; k++)
        if (!im->dim_used[k])
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "--dim %s: no input dim of the model is "
                                "named so (its symbolic dims: %s)", o->dims[k].param, syms);
    for (uint32_t k = 0; k < o->n_max_dims; k++) {
        int s = glc_dim_find_symbol(im->g, o->max_dims[k].param);
        if (s < 0)
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "--max-dim %s: the model has no symbolic "
                                "dim of that name (its symbolic dims: %s)", o->max_dims[k].param,
                                syms);
        if (o->max_dims[k].value <= 0)
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "--max-dim %s=%lld: the bound must be "
                                "positive", o->max_dims[k].param, (long long)o->max_dims[k].value);
        im->g->syms[s].max = o->max_dims[k].value;
    }
    return GLC_OK;
}

/* ---- the graph ------------------------------------------------------------------------ */

size_t fe_count_names(const Onnx__GraphProto *gp) {
    size_t n = gp->n_initializer + gp->n_input;
    for (size_t i = 0; i < gp->n_node; i++)
        n += gp->node[i]->n_output;
    return n;
}

static glc_status build_graph(fe_import *im) {
    const Onnx__GraphProto *gp = im->gp;
    if (gp->name && !(im->g->name = glc_arena_strdup(&im->g->arena, gp->name)))
        return glc_diag_set(im->d, GLC_E_NOMEM, NULL, "out of memory");
    if (gp->n_sparse_initializer)
        return glc_diag_set(im->d, GLC_E_UNSUPPORTED, NULL,
                            "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++)
        GLC_TRY(fe_read_initializer(im, gp->initializer[i]));
    for (size_t i = 0; i < gp->n_input; i++)
        GLC_TRY(read_input(im, gp->input[i]));
    for (uint32_t k = 0; k < im->opt->n_bind; k++)
        if (!im->bound[k])
            return glc_diag_set(im->d, GLC_E_ARG, NULL, "cannot bind '%s': the model has no graph "
                                "input of that name", im->opt->bind[k].name);
    GLC_TRY(check_dim_options(im));
    GLC_TRY(fe_import_nodes(im));
    for (size_t i = 0; i < gp->n_output; i++)
        GLC_TRY(read_output(im, gp->output[i]));
    if (im->opt->skip_infer) return GLC_OK;
    GLC_TRY(glc_infer_shapes(im->g, im->d));
    GLC_TRY(fe_check_values(im->g, im->limits, im->d));
    return glc_graph_verify(im->g, im->d);
}

static glc_status import_model(const Onnx__ModelProto *m, const glc_import_options *o,
                               const glc_import_limits *l, glc_graph *g, glc_diag *d) {
    GLC_TRY(fe_check_model(m, l, d));
    read_opsets(g, m);
    fe_import im = {.g = g, .gp = m->graph, .d = d, .opt = o, .limits = l};
    im.bound = calloc(o->n_bind + 1, sizeof *im.bound);
    im.shape_used = calloc(o->n_shapes + 1, sizeof *im.shape_used);
    im.dim_used = calloc(o->n_dims + 1, sizeof *im.dim_used);
    if (!im.bound || !im.shape_used || !im.dim_used ||
        !fe_names_init(&im.values, fe_count_names(m->graph))) {
        free(im.bound);
        free(im.shape_used);
        free(im.dim_used);
        fe_names_fini(&im.values);
        return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    }
    glc_status s = build_graph(&im);
    fe_names_fini(&im.values);
    free(im.bound);
    free(im.shape_used);
    free(im.dim_used);
    return s;
}

glc_status glc_import_onnx_buffer(const void *buf, size_t len, glc_graph **out, glc_diag *d) {
    return glc_import_onnx_buffer_opts(buf, len, NULL, out, d);
}

/* The symbol k and its value *val when a == b is linear in that one symbol and has an
 * integer solution >= 1 (coef*s + c0 == v: a broadcast against a static dim, a weight's
 * dim, a constant initial state, a Reshape to a constant shape), else -1. */
static int solve_pin(const glc_graph *g, glc_dim a, glc_dim b, int64_t *val) {
    glc_dim e = glc_dim_is_const(a) ? b : a, v = glc_dim_is_const(a) ? a : b;
    const glc_dim_expr *x = glc_dim_is_const(v) ? glc_dim_get_expr(g, e) : NULL;
    if (!x || x->n_terms != 1 || x->terms[0].deg != 1) return -1;
    const glc_dim_atom *at = glc_dim_get_atom(g, x->terms[0].atoms[0]);
    int64_t coef = x->terms[0].coef;
    if (!at || at->kind != GLC_DA_SYM || coef <= 0 || v < x->c0) return -1;
    if ((v - x->c0) % coef || (v - x->c0) / coef < 1) return -1;
    *val = (v - x->c0) / coef;
    return (int)at->sym;
}

/* Symbols that shape inference required to take one value (solve_pin): they can take no
 * other, so the import is redone with them bound, as --dim would, and everything computed
 * from them becomes static. Names are copied (the graph goes). Returns how many were
 * added to pins (at most max - *n). */
static uint32_t find_pins(const glc_graph *g, glc_import_dim *pins, uint32_t *n, uint32_t max,
                          char **names) {
    uint32_t nc, added = 0;
    const glc_dim_constraint *c = glc_dim_constraints(g, &nc);
    for (uint32_t i = 0; i < nc && *n < max; i++) {
        int64_t val;
        int k = c[i].rel == GLC_DIM_EQ ? solve_pin(g, c[i].a, c[i].b, &val) : -1;
        if (k < 0) continue;
        bool dup = false;
        for (uint32_t j = 0; j < *n && !dup; j++) dup = !strcmp(pins[j].param, g->syms[k].name);
        if (dup || !(names[*n] = strdup(g->syms[k].name))) continue;
        pins[*n] = (glc_import_dim){names[*n], val};
        (*n)++;
        added++;
    }
    return added;
}

/* One import of the unpacked model into a new graph. */
static glc_status import_once(const Onnx__ModelProto *m, const glc_import_options *o,
                              const glc_import_limits *l, glc_graph **out, glc_diag *d) {
    glc_graph *g = glc_graph_create();
    if (!g) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    glc_status s = import_model(m, o, l, g, d);
    if (s != GLC_OK) glc_graph_destroy(g);
    else *out = g;
    return s;
}

enum { MAX_PINS = 64, MAX_PIN_ROUNDS = 4 };

/* Imports, then again with the symbols inference pinned to constants (find_pins) bound. */
static glc_status import_pinned(const Onnx__ModelProto *m, const glc_import_options *o,
                                const glc_import_limits *l, glc_graph **out, glc_diag *d) {
    glc_import_dim pins[MAX_PINS + 64];
    char *names[MAX_PINS + 64] = {0};
    uint32_t n = 0;
    for (uint32_t k = 0; k < o->n_dims && n < 64; k++) pins[n++] = o->dims[k];
    uint32_t user = n;
    glc_import_options po = *o;
    glc_status s = GLC_OK;
    for (int round = 0; s == GLC_OK; round++) {
        po.dims = pins;
        po.n_dims = n;
        s = import_once(m, &po, l, out, d);
        if (s != GLC_OK || o->skip_infer || round == MAX_PIN_ROUNDS) break;
        if (!find_pins(*out, pins, &n, MAX_PINS + user, names)) break;
        glc_graph_destroy(*out);
        *out = NULL;
    }
    for (uint32_t k = user; k < n; k++) free(names[k]);
    return s;
}

glc_status glc_import_onnx_buffer_opts(const void *buf, size_t len, const glc_import_options *o,
                                       glc_graph **out, glc_diag *d) {
    static const glc_import_options plain = {0};
    if (!o) o = &plain;
    *out = NULL;
    glc_import_limits def = glc_import_limits_default();
    const glc_import_limits *l = o->limits ? o->limits : &def;
    GLC_TRY(fe_check_wire(buf, len, l, d));
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    if (!m) return glc_diag_set(d, GLC_E_PARSE, NULL, "not an ONNX model (protobuf parse failed)");
    glc_status s = m->graph ? import_pinned(m, o, l, out, d)
                            : glc_diag_set(d, GLC_E_PARSE, NULL, "not an ONNX model (no graph)");
    onnx__model_proto__free_unpacked(m, NULL);
    return s;
}

glc_status glc_import_onnx_file(const char *path, glc_graph **out, glc_diag *d) {
    return glc_import_onnx_file_opts(path, NULL, out, d);
}

glc_status glc_import_onnx_file_opts(const char *path, const glc_import_options *o,
                                     glc_graph **out, glc_diag *d) {
    *out = NULL;
    unsigned char *buf;
    size_t len;
    uint64_t max = o && o->limits ? o->limits->file_bytes : glc_import_limits_default().file_bytes;
    GLC_TRY(fe_read_file(path, max, &buf, &len, d));
    glc_status s = glc_import_onnx_buffer_opts(buf, len, o, out, d);
    free(buf);
    return s;
}
