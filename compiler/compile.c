/*
 * compile.c -- glc_compile.h: the compile path (import -> passes -> codegen -> output)
 * behind one public header, for the driver, the Python package and embedders.
 *
 * The public types mirror the internal ones (glc_status, glc_emit_kind, glc_import_shape)
 * but are declared apart, so that the installed header needs no internal one; the static
 * asserts below keep the enums in step. A call checks its options (opt level, emit kind,
 * prefix, out_path's directory, the target's names), builds glc_import_options (limits,
 * shapes, dims, .npy bindings), imports, runs the pipeline and emits. Every failure ends as
 * glc_diag_format's one line in the caller's glc_compile_diag; nothing prints.
 */
#include "glc_compile.h"

#include "codegen.h"
#include "frontend.h"
#include "passes.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef GLC_VERSION
#define GLC_VERSION "0.0.0"
#endif

_Static_assert(GLC_COMPILE_E_LIMIT == (int)GLC_E_LIMIT, "glc_compile_status follows glc_status");
_Static_assert(GLC_COMPILE_E_ARG == (int)GLC_E_ARG, "glc_compile_status follows glc_status");
_Static_assert(GLC_COMPILE_EMIT_HEADER == (int)GLC_EMIT_HEADER, "emit kinds in step");
_Static_assert(GLC_COMPILE_EMIT_STATIC == (int)GLC_EMIT_STATIC, "emit kinds in step");
_Static_assert(GLC_COMPILE_MAX_RANK == GLC_MAX_RANK, "ranks in step");

#define MAX_LIST 256 /* shapes, dims, max dims or bindings in one call */

/* What one call owns: the import options and the .npy arrays they point at. */
typedef struct compile_job {
    const glc_compile_options *o;
    glc_import_limits limits;
    glc_import_shape shapes[MAX_LIST];
    glc_import_dim dims[MAX_LIST], max_dims[MAX_LIST];
    glc_import_binding bind[MAX_LIST];
    glc_host_tensor tensors[MAX_LIST];
    glc_import_options io;
    glc_codegen_options cg; /* codegen_options(o) once o is checked; its log (verbose only
                               with options.log set: nothing to stderr) carries every line */
    glc_diag d;
} compile_job;

glc_compile_options glc_compile_defaults(void) {
    return (glc_compile_options){.opt_level = 3, .emit = GLC_COMPILE_EMIT_SO};
}

const char *glc_compile_version(void) { return GLC_VERSION; }

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- option checks ------------------------------------------------------------------------ */

/* out_path's directory exists and is writable, and out_path is not a directory. */
static glc_status check_out_path(const char *out, glc_diag *d) {
    char dir[4096];
    const char *slash = strrchr(out, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == out) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
    struct stat st;
    d->file = out;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) != 0)
        return glc_diag_set(d, GLC_E_IO, NULL, "cannot write output: directory '%s': %s", dir,
                            errno ? strerror(errno) : "not a directory");
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
        return glc_diag_set(d, GLC_E_IO, NULL, "cannot write output: it is a directory");
    d->file = NULL;
    return GLC_OK;
}

/* A count with a NULL array is the caller's slip, not a crash. */
static glc_status check_lists(const glc_compile_options *o, glc_diag *d) {
    const char *bad = (o->n_shapes && !o->shapes)           ? "shapes"
                      : (o->n_dims && !o->dims)             ? "dims"
                      : (o->n_max_dims && !o->max_dims)     ? "max_dims"
                      : (o->n_bindings && !o->bindings)     ? "bindings"
                      : (o->n_limits && !o->limits)         ? "limits"
                                                            : NULL;
    if (bad) return glc_diag_set(d, GLC_E_ARG, NULL, "options.%s is NULL with a count", bad);
    return GLC_OK;
}

static glc_status check_options(const glc_compile_options *o, const char *out, glc_diag *d) {
    GLC_TRY(check_lists(o, d));
    if (o->opt_level < 0 || o->opt_level > 3)
        return glc_diag_set(d, GLC_E_ARG, NULL, "opt_level %d is not 0..3", o->opt_level);
    if ((unsigned)o->emit >= GLC_COMPILE_EMIT_COUNT)
        return glc_diag_set(d, GLC_E_ARG, NULL, "unknown emit kind %d", (int)o->emit);
    if (o->prefix && !glc_codegen_valid_prefix(o->prefix))
        return glc_diag_set(d, GLC_E_ARG, NULL, "prefix '%s' is not a C identifier", o->prefix);
    if (!out || !*out) return glc_diag_set(d, GLC_E_ARG, NULL, "no output path given");
    errno = 0;
    return check_out_path(out, d);
}

static glc_codegen_options codegen_options(const glc_compile_options *o) {
    glc_codegen_options cg = glc_codegen_defaults();
    cg.opt_level = o->opt_level;
    cg.emit = (glc_emit_kind)o->emit;
    cg.cpu = o->cpu;
    cg.features = o->features;
    cg.triple = o->triple;
    if (o->prefix) cg.prefix = o->prefix;
    cg.winograd = o->winograd;
    cg.bf16_dot = o->bf16_dot;
    cg.bf16_weights = o->bf16_weights;
    cg.verbose = o->log != NULL;
    cg.log = o->log;
    cg.log_user = o->log_user;
    return cg;
}

/* ---- import options ----------------------------------------------------------------------- */

static glc_status too_many(glc_diag *d, const char *what, uint32_t n) {
    return glc_diag_set(d, GLC_E_ARG, NULL, "%u %s: at most %d", n, what, MAX_LIST);
}

static glc_status set_limits(compile_job *j) {
    const glc_compile_options *o = j->o;
    j->limits = glc_import_limits_default();
    for (uint32_t k = 0; k < o->n_limits; k++) {
        const char *name = o->limits[k].name ? o->limits[k].name : "(null)";
        GLC_TRY(glc_import_limit_set(&j->limits, name, o->limits[k].value, &j->d));
    }
    j->io.limits = &j->limits;
    return GLC_OK;
}

static glc_status set_shapes(compile_job *j) {
    const glc_compile_options *o = j->o;
    if (o->n_shapes > MAX_LIST) return too_many(&j->d, "shapes", o->n_shapes);
    for (uint32_t k = 0; k < o->n_shapes; k++) {
        const glc_compile_shape *s = &o->shapes[k];
        if (!s->input || s->rank < 0 || s->rank > GLC_MAX_RANK)
            return glc_diag_set(&j->d, GLC_E_ARG, NULL, "shape %u: no input name or rank %d "
                                "not 0..%d", k, s->rank, GLC_MAX_RANK);
        glc_import_shape *t = &j->shapes[k];
        t->input = s->input;
        t->rank = s->rank;
        memcpy(t->dims, s->dims, sizeof t->dims);
        memcpy(t->names, s->names, sizeof t->names);
    }
    j->io.shapes = j->shapes;
    j->io.n_shapes = o->n_shapes;
    return GLC_OK;
}

static glc_status copy_dims(compile_job *j, const glc_compile_dim *src, uint32_t n,
                            glc_import_dim *dst, const char *what) {
    if (n > MAX_LIST) return too_many(&j->d, what, n);
    for (uint32_t k = 0; k < n; k++) {
        if (!src[k].name) return glc_diag_set(&j->d, GLC_E_ARG, NULL, "%s %u: no name", what, k);
        dst[k] = (glc_import_dim){src[k].name, src[k].value};
    }
    return GLC_OK;
}

static glc_status set_dims(compile_job *j) {
    const glc_compile_options *o = j->o;
    GLC_TRY(copy_dims(j, o->dims, o->n_dims, j->dims, "dims"));
    GLC_TRY(copy_dims(j, o->max_dims, o->n_max_dims, j->max_dims, "max dims"));
    j->io.dims = j->dims;
    j->io.n_dims = o->n_dims;
    j->io.max_dims = j->max_dims;
    j->io.n_max_dims = o->n_max_dims;
    return GLC_OK;
}

static glc_status read_bindings(compile_job *j) {
    const glc_compile_options *o = j->o;
    if (o->n_bindings > MAX_LIST) return too_many(&j->d, "bindings", o->n_bindings);
    j->io.bind = j->bind;
    for (uint32_t k = 0; k < o->n_bindings; k++) {
        const glc_compile_binding *b = &o->bindings[k];
        if (!b->input || !b->npy_path)
            return glc_diag_set(&j->d, GLC_E_ARG, NULL, "binding %u: no input or file", k);
        j->bind[k] = (glc_import_binding){b->input, &j->tensors[k]};
        j->io.n_bind = k + 1;
        j->d.file = b->npy_path;
        GLC_TRY(glc_npy_read(b->npy_path, &j->tensors[k], &j->d));
    }
    j->d.file = NULL;
    return GLC_OK;
}

static void job_fini(compile_job *j) {
    for (uint32_t k = 0; k < j->io.n_bind; k++) glc_host_tensor_fini(&j->tensors[k]);
}

/* ---- the compile path --------------------------------------------------------------------- */

/* Where the model comes from: a path, or bytes with a name for diagnostics. */
typedef struct model_src {
    const char *path, *name;
    const void *bytes;
    size_t len;
} model_src;

static glc_status import_model(compile_job *j, const model_src *m, glc_graph **g) {
    double t0 = now_ms();
    j->d.file = m->name;
    glc_status s = m->path ? glc_import_onnx_file_opts(m->path, &j->io, g, &j->d)
                           : glc_import_onnx_buffer_opts(m->bytes, m->len, &j->io, g, &j->d);
    if (s == GLC_OK)
        glc_codegen_log(&j->cg, "glc: import %s: %u nodes, %u values, %.1f ms", m->name,
                        (*g)->n_nodes, (*g)->n_values, now_ms() - t0);
    return s;
}

static glc_status run_passes(compile_job *j, glc_graph *g) {
    glc_pipeline_options po = {
        .verify_each = true, .disable_all = j->o->opt_level == 0, .stream = j->o->stream,
        .disable_pass = j->o->disable_pass, .log = j->o->log, .log_user = j->o->log_user};
    double t0 = now_ms();
    GLC_TRY(glc_run_pipeline(g, &po, &j->d));
    glc_codegen_log(&j->cg, "glc: passes: %s, %u nodes, %.1f ms",
                    po.disable_all ? "no pass run (-O0)" : "pipeline done", g->n_nodes,
                    now_ms() - t0);
    return GLC_OK;
}

static const char *const emit_names[] = {"so", "obj", "asm", "llvm", "static", "header"};

static glc_status emit(compile_job *j, const glc_graph *g, const model_src *m, const char *out) {
    double t0 = now_ms();
    j->d.file = m->name;
    GLC_TRY(glc_codegen_emit(g, &j->cg, out, &j->d));
    glc_codegen_log(&j->cg, "glc: codegen -O%d --emit=%s: wrote %s, %.1f ms", j->cg.opt_level,
                    emit_names[j->cg.emit], out, now_ms() - t0);
    return GLC_OK;
}

static glc_status prepare(compile_job *j, const char *out) {
    GLC_TRY(check_options(j->o, out, &j->d));
    j->cg = codegen_options(j->o);
    GLC_TRY(glc_codegen_target_check(&j->cg, &j->d));
    GLC_TRY(set_limits(j));
    GLC_TRY(set_shapes(j));
    GLC_TRY(set_dims(j));
    return read_bindings(j);
}

static glc_compile_status finish(compile_job *j, glc_status s, glc_compile_diag *diag) {
    if (diag) {
        diag->status = (glc_compile_status)s;
        diag->message[0] = '\0';
        if (s != GLC_OK) glc_diag_format(&j->d, diag->message, sizeof diag->message);
    }
    job_fini(j);
    free(j);
    return (glc_compile_status)s;
}

/* One compilation at a time per process: LLVM's target registration is not safe to race,
 * and the target checks point fd 2 at a temporary file while LLVM runs (codegen/target.c). */
static pthread_mutex_t compile_lock = PTHREAD_MUTEX_INITIALIZER;

static glc_compile_status compile_locked(const model_src *m, const char *out,
                                         const glc_compile_options *o, glc_compile_diag *diag);

static glc_compile_status compile(const model_src *m, const char *out,
                                  const glc_compile_options *o, glc_compile_diag *diag) {
    pthread_mutex_lock(&compile_lock);
    glc_compile_status s = compile_locked(m, out, o, diag);
    pthread_mutex_unlock(&compile_lock);
    return s;
}

static glc_compile_status compile_locked(const model_src *m, const char *out,
                                         const glc_compile_options *o, glc_compile_diag *diag) {
    glc_compile_options def = glc_compile_defaults();
    compile_job *j = calloc(1, sizeof *j);
    if (!j) {
        if (diag) *diag = (glc_compile_diag){GLC_COMPILE_E_NOMEM, "out of memory"};
        return GLC_COMPILE_E_NOMEM;
    }
    j->o = o ? o : &def;
    glc_graph *g = NULL;
    glc_status s = prepare(j, out);
    if (s == GLC_OK) s = import_model(j, m, &g);
    if (s == GLC_OK) s = run_passes(j, g);
    if (s == GLC_OK) s = emit(j, g, m, out);
    glc_graph_destroy(g);
    return finish(j, s, diag);
}

glc_compile_status glc_compile_file(const char *model_path, const char *out_path,
                                    const glc_compile_options *o, glc_compile_diag *diag) {
    if (!model_path) model_path = "";
    model_src m = {.path = model_path, .name = model_path};
    return compile(&m, out_path, o, diag);
}

glc_compile_status glc_compile_bytes(const void *bytes, size_t len, const char *name,
                                     const char *out_path, const glc_compile_options *o,
                                     glc_compile_diag *diag) {
    static const char empty = 0;
    model_src m = {.name = name ? name : "<bytes>", .bytes = bytes ? bytes : &empty,
                   .len = bytes ? len : 0};
    return compile(&m, out_path, o, diag);
}
