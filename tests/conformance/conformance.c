/*
 * conformance.c -- runs ONNX backend-style node tests through glc.
 *
 * A test is a directory holding model.onnx and test_data_set_K/{input,output}_N.pb
 * (serialized TensorProto), the layout of the ONNX backend node tests that Debian's
 * libonnx-testdata ships and of our own fixtures. For each test, in a forked child
 * (so that a crash or a hang is counted, not fatal):
 *   import -> pass pipeline -> compile to a .so -> for every data set: run the compiled
 *   model and the reference interpreter, compare both with output_N.pb at ONNX's
 *   tolerance |got - want| <= atol + rtol * |want| (rtol 1e-3, atol 1e-7; --rtol/--atol
 *   tighten or loosen it, e.g. 1e-5 for our own ai.glc fixtures) for f16, bf16, f32 and
 *   f64 outputs, bit for bit for the others. ONNX 1.12's data sets store bfloat16 tensors
 *   as uint16; those are read as the bf16 bits they are.
 * A test whose import or lowering ends in GLC_E_UNSUPPORTED is "unsupported".
 *
 * Static operands. glc compiles static shapes, so operands that decide shapes (Reshape's
 * shape, Slice's starts/ends/axes/steps, Split's split, Squeeze/Unsqueeze axes, Pad's
 * pads/value, ReduceMean axes, Dropout's ratio/training_mode: glc_op_input_is_static)
 * must be constants at compile time, while many node tests feed them as graph inputs. A
 * raw import (no inference) and glc_graph_static_values name the graph inputs such an
 * operand depends on; for each data set those inputs are bound to that data set's values
 * (glc_import_options, as `glc --bind` does) and the model is compiled with them, again
 * whenever a data set binds different values. The remaining inputs are fed at run time.
 * This checks the op semantics honestly for the operand values given; only their
 * run-time variability is not exercised.
 *
 *   conformance [--expected FILE] [--filter SUBSTR] [--timeout S] [--rtol R] [--atol A]
 *               [--bf16] [--disable-pass PASS] [--dynamic] [--all] [--strict] [-v] DIR...
 *
 * --disable-pass PASS compiles without that graph pass (e.g. raise-recurrence: the Loops
 * it would raise then run as Loops).
 *
 * --bf16 compiles with glc --bf16 (bf16 dot products); give it a looser tolerance. Where
 * glc's target has no avx512bf16 (GLC_DEFAULT_CPU=x86-64-v3, say) or the host cannot run
 * it, it says so and exits 77 (skipped) at once.
 *
 * --dynamic imports every graph input's dims as symbols (what onnx-mlir's
 * IMPORTER_FORCE_DYNAMIC does; the bound static operands stay constants), compiles the
 * model once with symbolic dims and runs it at each data set's own dims: the compiled
 * model's plan gives the outputs' shapes, which must be the expected ones. The reference
 * interpreter runs a fresh import made static for those dims (glc_graph_bind_inputs).
 *
 * DIR is either a test directory or a directory of test directories. Prints one line
 * per failing test and the summary `N passed, N failed, N unsupported, N crashed`, then
 * every test that did not pass, grouped by reason: the operators glc lacks (named), a
 * sequence or optional type, a string dtype, a random output, broken test data, any other
 * unsupported feature (its message), a failure, a crash. The child reports its reason to
 * the parent through a pipe.
 * Exits 1 if a test named in the expected-pass list (one name per line, # comments)
 * does not pass, or if any test crashes or hangs, or (with --all) if any selected test
 * does not pass or none was selected, or (with --strict) if a test passes that the list
 * does not name; 0 otherwise. Every passing test the list does not name is printed as
 * `NEW PASS name`, so that it gets added (--strict makes that a failure, for fixture
 * directories whose list starts empty and must grow as glc learns their ops).
 */
#include "codegen.h"
#include "frontend.h"
#include "glc_runtime.h"
#include "passes.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { R_PASS = 0, R_FAIL = 1, R_UNSUPPORTED = 3 };

typedef struct options {
    const char *expected_file, *filter;
    int timeout_s;
    bool verbose;
    bool all;    /* --all: every selected test must pass */
    bool strict; /* --strict: a test that passes must be in the expected-pass list */
} options;

typedef struct test_list {
    char **names, **paths;
    int n, cap;
} test_list;

/* ---- collecting tests -------------------------------------------------------- */

/* Whether snprintf's result n fitted a buffer of len bytes (a longer path is no test). */
static bool fits(int n, size_t len) {
    return n >= 0 && (size_t)n < len;
}

static bool is_test_dir(const char *dir) {
    char p[4096];
    return fits(snprintf(p, sizeof p, "%s/model.onnx", dir), sizeof p) && access(p, R_OK) == 0;
}

static void add_test(test_list *l, const char *name, const char *path) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 256;
        l->names = realloc(l->names, l->cap * sizeof *l->names);
        l->paths = realloc(l->paths, l->cap * sizeof *l->paths);
        if (!l->names || !l->paths) abort();
    }
    l->names[l->n] = strdup(name);
    l->paths[l->n] = strdup(path);
    l->n++;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect(test_list *l, const char *dir) {
    if (is_test_dir(dir)) {
        const char *base = strrchr(dir, '/');
        add_test(l, base ? base + 1 : dir, dir);
        return;
    }
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "conformance: cannot open %s: %s\n", dir, strerror(errno));
        exit(2);
    }
    char **names = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char p[4096];
        if (fits(snprintf(p, sizeof p, "%s/%s", dir, names[i]), sizeof p) && is_test_dir(p))
            add_test(l, names[i], p);
        free(names[i]);
    }
    free(names);
}

/* ---- one test, in the child --------------------------------------------------- */

static char g_reason[600]; /* the child's reason for not passing (see reason_of) */

static int fail(const char *name, const char *fmt, const char *a, const char *b) {
    printf("FAIL %s: ", name);
    printf(fmt, a, b ? b : "");
    printf("\n");
    snprintf(g_reason, sizeof g_reason, "failed");
    return R_FAIL;
}

/* "unsupported operators: ::Size (node #0), ai.x::Foo (nodes 'a', 'b')" -> "Size, ai.x::Foo" */
static void op_names(const char *msg, char *out, size_t len) {
    size_t k = 0;
    out[0] = '\0';
    for (const char *p = strstr(msg, "::"); p && k < len; p = strstr(p + 2, "::")) {
        const char *dom = p;
        while (dom > msg && dom[-1] != ' ' && dom[-1] != ',') dom--;
        size_t dl = (size_t)(p - dom), nl = strcspn(p + 2, " (,");
        k += (size_t)snprintf(out + k, len - k, "%s%.*s%s%.*s", k ? ", " : "", (int)dl, dom,
                              dl ? "::" : "", (int)nl, p + 2);
        p = strchr(p + 2, ')') ? strchr(p + 2, ')') : p;
    }
}

/* The group an unsupported test falls in. */
static void reason_of(const glc_diag *d) {
    const char *m = d->msg;
    char ops[500];
    if (!strncmp(m, "unsupported operators:", 22)) {
        op_names(m, ops, sizeof ops);
        snprintf(g_reason, sizeof g_reason, "unsupported operator: %s", ops);
    } else if (strstr(m, "is not a tensor")) {
        snprintf(g_reason, sizeof g_reason, "sequence or optional type");
    } else if (strstr(m, "type string") || strstr(m, "to string")) {
        snprintf(g_reason, sizeof g_reason, "string dtype");
    } else if (strstr(m, "is random")) {
        snprintf(g_reason, sizeof g_reason, "random output");
    } else if (strstr(m, "bad test data")) {
        snprintf(g_reason, sizeof g_reason, "bad test data");
    } else {
        snprintf(g_reason, sizeof g_reason, "unsupported: %.500s", m);
    }
}

static int diag_result(const char *name, const glc_diag *d) {
    char line[2048];
    glc_diag_format(d, line, sizeof line);
    if (d->status == GLC_E_UNSUPPORTED) {
        printf("UNSUPPORTED %s: %s\n", name, line);
        reason_of(d);
        return R_UNSUPPORTED;
    }
    return fail(name, "%s%s", line, NULL);
}

static double g_rtol = 1e-3, g_atol = 1e-7;
static bool g_bf16;    /* --bf16: compile with glc_codegen_options.bf16_dot */
static const char *g_disable_pass; /* --disable-pass PASS: the pipeline without PASS */
static bool g_dynamic; /* --dynamic: every input dim symbolic */

/* |got - want| <= atol + rtol * |want|; NaN only matches NaN, an infinity only itself. */
static bool close_double(double g, double w) {
    if (isnan(w)) return isnan(g);
    if (isinf(w)) return g == w;
    return fabs(g - w) <= g_atol + g_rtol * fabs(w);
}

static bool close_enough(glc_dtype dt, const void *got, const void *want, int64_t i) {
    switch (dt) {
    case GLC_DT_F32:
        return close_double(((const float *)got)[i], ((const float *)want)[i]);
    case GLC_DT_F64:
        return close_double(((const double *)got)[i], ((const double *)want)[i]);
    case GLC_DT_F16:
        return close_double(glc_f16_to_f32(((const uint16_t *)got)[i]),
                            glc_f16_to_f32(((const uint16_t *)want)[i]));
    case GLC_DT_BF16:
        return close_double(glc_bf16_to_f32(((const uint16_t *)got)[i]),
                            glc_bf16_to_f32(((const uint16_t *)want)[i]));
    default: {
        size_t es = glc_dtype_size(dt);
        return !memcmp((const char *)got + i * es, (const char *)want + i * es, es);
    }
    }
}

/* Whether a data set's tensor of dtype `file` may stand for a value of dtype `model`: the
 * same, or ONNX 1.12's node tests, which store bfloat16 tensors as uint16 (their bits). */
static bool same_dtype(glc_dtype model, glc_dtype file) {
    return model == file || (model == GLC_DT_BF16 && file == GLC_DT_U16);
}

/* Compares one output buffer (of v's dtype and the given dims: v's own, or those the
 * compiled model's plan gave) with the expected tensor; writes a reason on mismatch. */
static bool compare(const glc_value *v, const int64_t *dims, const void *got,
                    const glc_host_tensor *want, char *why, size_t len) {
    char a[128], b[128];
    glc_shape_str(v->dtype, v->rank, dims, a, sizeof a);
    glc_shape_str(want->dtype, want->rank, want->dims, b, sizeof b);
    bool same = same_dtype(v->dtype, want->dtype) && v->rank == want->rank;
    int64_t n = 1;
    for (int k = 0; same && k < v->rank; k++) {
        same = dims[k] == want->dims[k];
        n *= dims[k];
    }
    if (!same) {
        snprintf(why, len, "output '%s': glc has %s, expected %s", v->name, a, b);
        return false;
    }
    for (int64_t i = 0; i < n; i++)
        if (!close_enough(v->dtype, got, want->data, i)) {
            snprintf(why, len, "output '%s' %s differs at element %lld", v->name, a,
                     (long long)i);
            return false;
        }
    return true;
}

typedef struct dataset {
    glc_host_tensor *in, *out;
    int n_in, n_out;
} dataset;

static void dataset_fini(dataset *ds) {
    for (int i = 0; i < ds->n_in; i++) glc_host_tensor_fini(&ds->in[i]);
    for (int i = 0; i < ds->n_out; i++) glc_host_tensor_fini(&ds->out[i]);
    free(ds->in);
    free(ds->out);
    memset(ds, 0, sizeof *ds);
}

static glc_status read_tensors(const char *dir, const char *prefix, int n, glc_host_tensor *t,
                               glc_diag *d) {
    for (int i = 0; i < n; i++) {
        char p[4096], *name = NULL;
        if (!fits(snprintf(p, sizeof p, "%s/%s_%d.pb", dir, prefix, i), sizeof p))
            return glc_diag_set(d, GLC_E_IO, NULL, "path too long: %s/%s_%d.pb", dir, prefix, i);
        GLC_TRY(glc_tensorproto_read(p, &t[i], &name, d));
        free(name);
    }
    return GLC_OK;
}

/* The model's graph inputs before binding: count, names, and which feed static operands. */
typedef struct model_inputs {
    int n, n_out;
    char **names;
    bool *is_static; /* bound from the data set at compile time */
    int n_static;
    glc_import_shape *zero; /* --dynamic: the dims that are 0 in data set 0 stay static */
    int n_zero;             /* (symbols are at least 1) */
} model_inputs;

static void model_inputs_fini(model_inputs *mi) {
    free(mi->zero);
    for (int i = 0; i < mi->n; i++) free(mi->names[i]);
    free(mi->names);
    free(mi->is_static);
    memset(mi, 0, sizeof *mi);
}

/* A raw import (no inference) says which graph inputs glc_graph_static_values needs. */
static glc_status find_model_inputs(const char *model, model_inputs *mi, glc_diag *d) {
    glc_import_options o = {.skip_infer = true};
    glc_graph *g = NULL;
    GLC_TRY(glc_import_onnx_file_opts(model, &o, &g, d));
    bool *need = calloc(g->n_values + 1, sizeof *need);
    mi->n = (int)g->n_inputs;
    mi->n_out = (int)g->n_outputs;
    mi->names = calloc(mi->n + 1, sizeof *mi->names);
    mi->is_static = calloc(mi->n + 1, sizeof *mi->is_static);
    if (!need || !mi->names || !mi->is_static) abort();
    glc_graph_static_values(g, need);
    for (int i = 0; i < mi->n; i++) {
        const glc_value *v = &g->values[g->inputs[i]];
        mi->names[i] = strdup(v->name ? v->name : "");
        mi->is_static[i] = need[g->inputs[i]];
        mi->n_static += mi->is_static[i];
    }
    free(need);
    glc_graph_destroy(g);
    return GLC_OK;
}

static glc_status load_dataset(const model_inputs *mi, const char *dir, dataset *ds,
                               glc_diag *d) {
    ds->n_in = mi->n;
    ds->n_out = mi->n_out;
    ds->in = calloc(ds->n_in + 1, sizeof *ds->in);
    ds->out = calloc(ds->n_out + 1, sizeof *ds->out);
    if (!ds->in || !ds->out) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    GLC_TRY(read_tensors(dir, "input", ds->n_in, ds->in, d));
    GLC_TRY(read_tensors(dir, "output", ds->n_out, ds->out, d));
    return GLC_OK;
}

/* Whether any live node reads the data of value v (not only its dtype, as CastLike). */
static bool is_read(const glc_graph *g, glc_value_id v) {
    for (uint32_t k = 0; k < g->n_nodes; k++)
        for (int i = 0; !g->nodes[k].dead && i < g->nodes[k].n_in; i++)
            if (g->nodes[k].in[i] == v && !glc_op_input_type_only(g->nodes[k].op, i)) return true;
    for (uint32_t k = 0; k < g->n_outputs; k++)
        if (g->outputs[k] == v) return true;
    return false;
}

/* Points in[] at the data of the inputs that were not bound, checking them against g. A
 * data set whose tensor does not fit the model's declaration of an input no node reads is
 * broken test data (ONNX 1.12's castlike_* give 'like', whose dtype alone matters, one
 * element for [3, 4]): it is reported as such, an unsupported test, not a failure. */
static glc_status runtime_inputs(const model_inputs *mi, const glc_graph *g, const dataset *ds,
                                 const void **in, glc_diag *d) {
    uint32_t k = 0;
    for (int i = 0; i < ds->n_in; i++) {
        if (mi->is_static[i]) continue;
        if (k >= g->n_inputs)
            return glc_diag_set(d, GLC_E_SHAPE, NULL, "input %d has no graph input", i);
        const glc_value *v = &g->values[g->inputs[k]];
        if (!same_dtype(v->dtype, ds->in[i].dtype) || glc_value_nbytes(v) != ds->in[i].nbytes) {
            char a[128], b[128];
            glc_shape_str(v->dtype, v->rank, v->dims, a, sizeof a);
            glc_shape_str(ds->in[i].dtype, ds->in[i].rank, ds->in[i].dims, b, sizeof b);
            return glc_diag_set(d, is_read(g, g->inputs[k]) ? GLC_E_SHAPE : GLC_E_UNSUPPORTED,
                                NULL, "bad test data: input %d is %s, the model declares '%s' %s",
                                i, b, v->name, a);
        }
        in[k++] = ds->in[i].data;
    }
    return GLC_OK;
}

/* Compares the outputs (compiled or interpreted: `what`) with the data set's; dims[i]:
 * output i's dims (NULL: the graph's). */
static bool check_outputs(const glc_graph *g, const dataset *ds, void **outs,
                          int64_t (*dims)[GLC_MAX_RANK], const char *what, const char *name) {
    for (int i = 0; i < ds->n_out; i++) {
        char why[512];
        const glc_value *v = &g->values[g->outputs[i]];
        if (!compare(v, dims ? dims[i] : v->dims, outs[i], &ds->out[i], why, sizeof why)) {
            fail(name, "%s: %s", what, why);
            return false;
        }
    }
    return true;
}

static void **alloc_outputs(const glc_graph *g) {
    void **outs = calloc(g->n_outputs + 1, sizeof *outs);
    for (uint32_t i = 0; i < g->n_outputs; i++)
        outs[i] = calloc(1, glc_value_nbytes(&g->values[g->outputs[i]]) + 1);
    return outs;
}

static void free_outputs(const glc_graph *g, void **outs) {
    for (uint32_t i = 0; outs && i < g->n_outputs; i++) free(outs[i]);
    free(outs);
}

/* A graph output with a symbolic dim has no size until a run binds it (--dynamic does). */
static bool outputs_sized(const glc_graph *g, const char *name) {
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        if (glc_value_numel(v) < 0) {
            fail(name, "output '%s' has symbolic dims: run it with --dynamic%s", v->name, "");
            return false;
        }
    }
    return true;
}

static int run_dataset(const model_inputs *mi, const glc_graph *g, glc_rt_model *m,
                       const dataset *ds, const char *name) {
    glc_diag d = {0};
    int r = R_FAIL;
    if (!outputs_sized(g, name)) return r;
    void **co = alloc_outputs(g), **io = alloc_outputs(g);
    const void **in = calloc(g->n_inputs + 1, sizeof *in);
    void *ws = NULL;
    if (runtime_inputs(mi, g, ds, in, &d) != GLC_OK || glc_interp_run(g, in, io, &d) != GLC_OK) {
        r = diag_result(name, &d);
        goto out;
    }
    if (!check_outputs(g, ds, io, NULL, "interpreter", name)) goto out;
    const glc_model_desc *md = glc_rt_model_desc(m);
    ws = aligned_alloc(64, (md->workspace_size + 63) / 64 * 64 + 64);
    glc_rt_status s = glc_rt_model_run(m, in, NULL, co, ws, md->workspace_size);
    if (s != GLC_RT_OK) {
        fail(name, "compiled run returned %s%s", glc_rt_status_name(s), NULL);
        goto out;
    }
    if (check_outputs(g, ds, co, NULL, "compiled", name)) r = R_PASS;
out:
    free(ws);
    free(in);
    free_outputs(g, co);
    free_outputs(g, io);
    return r;
}

/* The run-time inputs' dims (in g's input order) into dims[]/rank[]. */
static void runtime_dims(const model_inputs *mi, const dataset *ds, const int64_t **dims,
                         int *rank) {
    int k = 0;
    for (int i = 0; i < ds->n_in; i++)
        if (!mi->is_static[i]) {
            rank[k] = ds->in[i].rank;
            dims[k++] = ds->in[i].dims;
        }
}

/* --dynamic, compiled: plan for the data set's dims, run, compare. */
static int run_compiled_dynamic(const model_inputs *mi, const glc_graph *g, glc_rt_model *m,
                                const dataset *ds, const char *name) {
    const int64_t **dims = calloc(g->n_inputs + 1, sizeof *dims);
    int *rank = calloc(g->n_inputs + 1, sizeof *rank);
    int64_t(*od)[GLC_MAX_RANK] = calloc(g->n_outputs + 1, sizeof *od);
    int64_t **odp = calloc(g->n_outputs + 1, sizeof *odp);
    void **outs = calloc(g->n_outputs + 1, sizeof *outs);
    const void **in = calloc(g->n_inputs + 1, sizeof *in);
    void *ws = NULL;
    int r = R_FAIL;
    glc_diag d = {0};
    runtime_dims(mi, ds, dims, rank);
    for (uint32_t i = 0, k = 0; i < (uint32_t)ds->n_in; i++)
        if (!mi->is_static[i]) in[k++] = ds->in[i].data;
    for (uint32_t i = 0; i < g->n_outputs; i++)
        odp[i] = od[i];
    uint64_t wss = 0;
    glc_rt_status s = glc_rt_model_plan(m, dims, odp, &wss);
    if (s != GLC_RT_OK) {
        fail(name, "compiled plan returned %s%s", glc_rt_status_name(s), NULL);
        goto out;
    }
    for (uint32_t i = 0; i < g->n_outputs; i++) {
        const glc_value *v = &g->values[g->outputs[i]];
        size_t n = glc_dtype_size(v->dtype);
        for (int k = 0; k < v->rank; k++) n *= (size_t)od[i][k];
        outs[i] = calloc(1, n + 1);
    }
    ws = aligned_alloc(64, (wss + 63) / 64 * 64 + 64);
    s = glc_rt_model_run(m, in, dims, outs, ws, wss);
    if (s != GLC_RT_OK) {
        fail(name, "compiled run returned %s%s", glc_rt_status_name(s), NULL);
        goto out;
    }
    if (check_outputs(g, ds, outs, od, "compiled", name)) r = R_PASS;
out:
    (void)d;
    for (uint32_t i = 0; i < g->n_outputs; i++) free(outs[i]);
    free(outs);
    free(ws);
    free(in);
    free(od);
    free(odp);
    free(dims);
    free(rank);
    return r;
}

static glc_status import_model(const char *model, const model_inputs *mi, const dataset *ds,
                               glc_graph **g, glc_diag *d);

/* A data set's input of another rank than the model's that no node reads is broken test
 * data, as runtime_inputs() reports it (unsupported); true with *d set. */
static bool broken_ranks(const glc_graph *g, const int *rank, glc_diag *d) {
    for (uint32_t k = 0; k < g->n_inputs; k++)
        if (rank[k] != g->values[g->inputs[k]].rank && !is_read(g, g->inputs[k])) {
            glc_diag_set(d, GLC_E_UNSUPPORTED, NULL, "bad test data: input '%s' has rank %d, "
                         "the model declares rank %d", g->values[g->inputs[k]].name, rank[k],
                         g->values[g->inputs[k]].rank);
            return true;
        }
    return false;
}

/* --dynamic, interpreted: a fresh import made static for the data set's dims. */
static int run_interp_dynamic(const char *model, const model_inputs *mi, const dataset *ds,
                              const char *name) {
    glc_diag d = {.file = model};
    glc_graph *g = NULL;
    const int64_t **dims = calloc((size_t)ds->n_in + 1, sizeof *dims);
    int *rank = calloc((size_t)ds->n_in + 1, sizeof *rank);
    int r = R_FAIL;
    void **io = NULL;
    const void **in = calloc((size_t)ds->n_in + 1, sizeof *in);
    runtime_dims(mi, ds, dims, rank);
    if (import_model(model, mi, ds, &g, &d) != GLC_OK || broken_ranks(g, rank, &d) ||
        glc_graph_bind_inputs(g, rank, dims, &d) != GLC_OK ||
        runtime_inputs(mi, g, ds, in, &d) != GLC_OK || !(io = alloc_outputs(g)) ||
        glc_interp_run(g, in, io, &d) != GLC_OK) {
        r = diag_result(name, &d);
        goto out;
    }
    if (check_outputs(g, ds, io, NULL, "interpreter", name)) r = R_PASS;
out:
    if (g) free_outputs(g, io);
    glc_graph_destroy(g);
    free(in);
    free(dims);
    free(rank);
    return r;
}

static int compile_and_load(const glc_graph *g, const char *so, glc_rt_model **m, glc_diag *d) {
    glc_codegen_options o = glc_codegen_defaults();
    o.bf16_dot = g_bf16;
    if (glc_codegen_emit(g, &o, so, d) != GLC_OK) return -1;
    char err[512];
    if (glc_rt_model_open(so, NULL, m, err, sizeof err) != GLC_RT_OK) {
        glc_diag_set(d, GLC_E_RUNTIME, NULL, "%s", err);
        return -1;
    }
    return 0;
}

/* The compiled test: the graph (static inputs bound to one data set's values) and its .so;
 * the previous data set always binds the same values as the current build. */
typedef struct build {
    glc_graph *g;
    glc_rt_model *m;
} build;

static void build_fini(build *b, const char *so) {
    glc_rt_model_close(b->m);
    unlink(so);
    glc_graph_destroy(b->g);
    b->g = NULL;
    b->m = NULL;
}

/* Whether ds binds the same static values as the current build. */
static bool same_bindings(const model_inputs *mi, const dataset *prev, const dataset *ds) {
    for (int i = 0; i < mi->n; i++)
        if (mi->is_static[i] &&
            (prev->in[i].dtype != ds->in[i].dtype || prev->in[i].nbytes != ds->in[i].nbytes ||
             prev->in[i].rank != ds->in[i].rank ||
             memcmp(prev->in[i].dims, ds->in[i].dims, sizeof ds->in[i].dims) ||
             (ds->in[i].nbytes && memcmp(prev->in[i].data, ds->in[i].data, ds->in[i].nbytes))))
            return false;
    return true;
}

/* Imports, binding ds's static inputs (every other input dim symbolic with --dynamic). */
static glc_status import_model(const char *model, const model_inputs *mi, const dataset *ds,
                               glc_graph **g, glc_diag *d) {
    glc_import_binding bind[64];
    glc_import_options o = {.bind = bind, .symbolic_inputs = g_dynamic, .shapes = mi->zero,
                            .n_shapes = (uint32_t)mi->n_zero};
    for (int i = 0; ds && i < mi->n && o.n_bind < 64; i++)
        if (mi->is_static[i]) bind[o.n_bind++] = (glc_import_binding){mi->names[i], &ds->in[i]};
    return glc_import_onnx_file_opts(model, &o, g, d);
}

/* Imports (binding ds's static inputs), runs the pipeline, compiles and loads. */
static glc_status build_model(const char *model, const model_inputs *mi, const dataset *ds,
                              const char *so, build *b, glc_diag *d) {
    glc_pipeline_options po = {.verify_each = true, .disable_pass = g_disable_pass};
    GLC_TRY(import_model(model, mi, ds, &b->g, d));
    GLC_TRY(glc_run_pipeline(b->g, &po, d));
    if (compile_and_load(b->g, so, &b->m, d) != 0) return d->status;
    return GLC_OK;
}

/* --dynamic: the inputs' axes that are 0 in data set 0 (a symbol is at least 1) become
 * --shape bindings that keep them static. */
static void zero_dims(model_inputs *mi, const char *path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/test_data_set_0", path);
    dataset ds = {0};
    glc_diag d = {0};
    mi->zero = calloc((size_t)mi->n + 1, sizeof *mi->zero);
    if (!mi->zero || load_dataset(mi, dir, &ds, &d) != GLC_OK) {
        dataset_fini(&ds);
        return;
    }
    for (int i = 0; i < mi->n; i++) {
        bool any = false;
        glc_import_shape sh = {.input = mi->names[i], .rank = ds.in[i].rank};
        for (int a = 0; a < ds.in[i].rank; a++) {
            sh.dims[a] = ds.in[i].dims[a] == 0 ? 0 : -1;
            any |= ds.in[i].dims[a] == 0;
        }
        if (any && !mi->is_static[i]) mi->zero[mi->n_zero++] = sh;
    }
    dataset_fini(&ds);
}

static int run_test(const char *name, const char *path) {
    char model[4096], so[4096];
    snprintf(model, sizeof model, "%s/model.onnx", path);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(so, sizeof so, "%s/glc-conf-%d.so", tmp, (int)getpid());
    glc_diag d = {.file = model};
    model_inputs mi = {0};
    build b = {0};
    dataset prev = {0};
    int r = R_PASS, sets = 0;
    if (find_model_inputs(model, &mi, &d) != GLC_OK) return diag_result(name, &d);
    if (g_dynamic) zero_dims(&mi, path);
    if (!mi.n_static && build_model(model, &mi, NULL, so, &b, &d) != GLC_OK)
        r = diag_result(name, &d);
    for (int k = 0; r == R_PASS; k++, sets++) {
        char dir[4096];
        struct stat st;
        snprintf(dir, sizeof dir, "%s/test_data_set_%d", path, k);
        if (stat(dir, &st) != 0) break;
        dataset ds = {0};
        if (load_dataset(&mi, dir, &ds, &d) != GLC_OK) r = diag_result(name, &d);
        if (r == R_PASS && mi.n_static && !(b.g && same_bindings(&mi, &prev, &ds))) {
            build_fini(&b, so);
            if (build_model(model, &mi, &ds, so, &b, &d) != GLC_OK) r = diag_result(name, &d);
        }
        if (r == R_PASS && !g_dynamic) r = run_dataset(&mi, b.g, b.m, &ds, name);
        if (r == R_PASS && g_dynamic) r = run_interp_dynamic(model, &mi, &ds, name);
        if (r == R_PASS && g_dynamic) r = run_compiled_dynamic(&mi, b.g, b.m, &ds, name);
        dataset_fini(&prev);
        prev = ds;
    }
    if (r == R_PASS && !sets) r = fail(name, "no test_data_set_0%s", "", NULL);
    dataset_fini(&prev);
    build_fini(&b, so);
    model_inputs_fini(&mi);
    return r;
}

/* ---- the parent ------------------------------------------------------------------ */

static bool in_list(char **list, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i], name)) return true;
    return false;
}

static int read_expected(const char *file, char ***out) {
    *out = NULL;
    if (!file) return 0;
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "conformance: cannot open %s: %s\n", file, strerror(errno));
        exit(2);
    }
    int n = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, " \t\r\n#")] = '\0';
        if (!line[0]) continue;
        *out = realloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = strdup(line);
    }
    fclose(f);
    return n;
}

/* Returns R_PASS/R_FAIL/R_UNSUPPORTED, or -1 for a crash or a hang; why (len bytes) gets
 * the reason a test did not pass. */
static int run_isolated(const char *name, const char *path, int timeout_s, char *why,
                        size_t len) {
    int fds[2];
    fflush(stdout);
    why[0] = '\0';
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(fds[0]);
        alarm((unsigned)timeout_s);
        int r = run_test(name, path);
        fflush(stdout);
        if (write(fds[1], g_reason, strlen(g_reason)) < 0) r = R_FAIL;
        _exit(r);
    }
    close(fds[1]);
    size_t got = 0;
    for (ssize_t k; got + 1 < len && (k = read(fds[0], why + got, len - 1 - got)) != 0;)
        if (k > 0) got += (size_t)k;
        else if (errno != EINTR) break;
    why[got] = '\0';
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && (WEXITSTATUS(st) == R_PASS || WEXITSTATUS(st) == R_FAIL ||
                          WEXITSTATUS(st) == R_UNSUPPORTED))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        printf("CRASH %s: %s\n", name,
               WTERMSIG(st) == SIGALRM ? "timed out" : strsignal(WTERMSIG(st)));
    else
        printf("CRASH %s: exit status %d\n", name, WEXITSTATUS(st));
    snprintf(why, len, "%s", WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "timed out" : "crashed");
    return -1;
}

/* ---- the summary of the tests that did not pass, by reason ------------------------------ */

typedef struct reason_group {
    char *why;
    char **names;
    int n;
} reason_group;

typedef struct reasons {
    reason_group *g;
    int n;
} reasons;

static void reasons_add(reasons *rs, const char *why, const char *name) {
    int i = 0;
    while (i < rs->n && strcmp(rs->g[i].why, why)) i++;
    if (i == rs->n) {
        rs->g = realloc(rs->g, (size_t)(rs->n + 1) * sizeof *rs->g);
        if (!rs->g) abort();
        rs->g[rs->n++] = (reason_group){strdup(why), NULL, 0};
    }
    reason_group *g = &rs->g[i];
    g->names = realloc(g->names, (size_t)(g->n + 1) * sizeof *g->names);
    if (!g->names) abort();
    g->names[g->n++] = strdup(name);
}

static int cmp_group(const void *a, const void *b) {
    const reason_group *x = a, *y = b;
    return x->n != y->n ? y->n - x->n : strcmp(x->why, y->why);
}

static void reasons_print_and_free(reasons *rs) {
    if (rs->n == 0) return;
    printf("not passing, by reason (tests):\n");
    qsort(rs->g, (size_t)rs->n, sizeof *rs->g, cmp_group);
    for (int i = 0; i < rs->n; i++) {
        printf("  %s (%d):", rs->g[i].why, rs->g[i].n);
        for (int k = 0; k < rs->g[i].n; k++) {
            printf(" %s", rs->g[i].names[k]);
            free(rs->g[i].names[k]);
        }
        printf("\n");
        free(rs->g[i].names);
        free(rs->g[i].why);
    }
    free(rs->g);
}

static void usage(void) {
    fprintf(stderr, "usage: conformance [--expected FILE] [--filter SUBSTR] [--timeout S] "
                    "[--rtol R] [--atol A] [--bf16] [--disable-pass PASS] [--dynamic] [--all] "
                    "[--strict] [-v] DIR...\n");
    exit(2);
}

/* --bf16 runs only where glc emits vdpbf16ps for the default target (the host, or
 * GLC_DEFAULT_CPU) and this host can run it; else this says why and returns false. */
static bool bf16_runs_here(void) {
    glc_codegen_options o = glc_codegen_defaults();
    glc_codegen_target t;
    glc_diag d = {0};
    if (glc_codegen_target_resolve(&o, &t, &d) != GLC_OK) {
        printf("--bf16: %s\n", d.msg);
        return false;
    }
    bool emits = glc_codegen_target_has(&t, "avx512bf16");
    if (!emits)
        printf("--bf16: skipped: glc's target (cpu %s, from %s) has no avx512bf16\n", t.cpu,
               t.cpu_source);
    glc_codegen_target_fini(&t);
    if (!emits) return false;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512bf16")) return true;
#endif
    printf("--bf16: skipped: this host cannot run avx512bf16 code\n");
    return false;
}

int main(int argc, char **argv) {
    options o = {.timeout_s = 120};
    test_list tests = {0};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--expected") && i + 1 < argc) o.expected_file = argv[++i];
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) o.filter = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) o.timeout_s = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--rtol") && i + 1 < argc) g_rtol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--atol") && i + 1 < argc) g_atol = atof(argv[++i]);
        else if (!strcmp(argv[i], "--bf16")) g_bf16 = true;
        else if (!strcmp(argv[i], "--disable-pass") && i + 1 < argc) {
            g_disable_pass = argv[++i];
            if (!glc_pass_find(g_disable_pass)) usage();
        } else if (!strcmp(argv[i], "--dynamic")) g_dynamic = true;
        else if (!strcmp(argv[i], "-v")) o.verbose = true;
        else if (!strcmp(argv[i], "--all")) o.all = true;
        else if (!strcmp(argv[i], "--strict")) o.strict = true;
        else if (argv[i][0] == '-') usage();
        else collect(&tests, argv[i]);
    }
    if (!tests.n) usage();
    if (g_bf16 && !bf16_runs_here()) return 77;
    char **expected;
    int n_expected = read_expected(o.expected_file, &expected);
    int passed = 0, failed = 0, unsupported = 0, crashed = 0, regressions = 0, unlisted = 0;
    reasons rs = {0};
    for (int i = 0; i < tests.n; i++) {
        if (o.filter && !strstr(tests.names[i], o.filter)) continue;
        char why[600];
        int r = run_isolated(tests.names[i], tests.paths[i], o.timeout_s, why, sizeof why);
        if (r != R_PASS) reasons_add(&rs, why[0] ? why : "failed", tests.names[i]);
        if (r == R_PASS && o.verbose) printf("PASS %s\n", tests.names[i]);
        passed += r == R_PASS;
        failed += r == R_FAIL;
        unsupported += r == R_UNSUPPORTED;
        crashed += r < 0;
        if (r == R_PASS && o.expected_file && !in_list(expected, n_expected, tests.names[i])) {
            printf("NEW PASS %s: not in %s, add it\n", tests.names[i], o.expected_file);
            unlisted++;
        }
        if (r != R_PASS && in_list(expected, n_expected, tests.names[i])) {
            printf("REGRESSION %s is in the expected-pass list\n", tests.names[i]);
            regressions++;
        }
    }
    for (int i = 0; i < n_expected; i++)
        if (!in_list(tests.names, tests.n, expected[i])) {
            printf("REGRESSION %s is in the expected-pass list but was not found\n", expected[i]);
            regressions++;
        }
    printf("%d passed, %d failed, %d unsupported, %d crashed\n", passed, failed, unsupported,
           crashed);
    reasons_print_and_free(&rs);
    for (int i = 0; i < tests.n; i++) {
        free(tests.names[i]);
        free(tests.paths[i]);
    }
    for (int i = 0; i < n_expected; i++) free(expected[i]);
    free(tests.names);
    free(tests.paths);
    free(expected);
    if (o.all && passed == 0) printf("--all: no test passed\n");
    bool all_failed = o.all && (failed || unsupported || passed == 0);
    if (o.strict && unlisted)
        printf("--strict: %d passing test(s) missing from the expected-pass list\n", unlisted);
    return regressions || crashed || all_failed || (o.strict && unlisted) ? 1 : 0;
}
