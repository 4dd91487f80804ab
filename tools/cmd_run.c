/*
 * cmd_run.c -- `glc run MODEL.so|MODEL.onnx --input NAME=FILE.npy ... [--output-dir DIR]
 * [--interp] [--name=PREFIX]`.
 *
 * A model is one of three things behind the same "ports" (name, dtype, shape of
 * each input and output):
 *   - a compiled .so, opened with glc_rt_model_open; ports from its glc_model_desc;
 *   - an .onnx, compiled to a temporary .so in a fresh directory under $TMPDIR (or
 *     /tmp), removed afterwards, then as above;
 *   - an .onnx with --interp: imported, run through the same pass pipeline and
 *     evaluated by the reference interpreter; ports from the graph.
 * Every --input is matched by name and checked for dtype and shape before anything
 * runs; each output goes to DIR/<name>.npy (characters outside [A-Za-z0-9._-]
 * become '_'), written atomically by glc_npy_write. DIR must exist.
 */
#include "codegen.h"
#include "driver.h"
#include "glc_runtime.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct input_arg {
    const char *name, *file;
} input_arg;

typedef struct run_args {
    const char *model, *out_dir, *prefix;
    bool interp;
    input_arg *inputs; /* n_inputs entries, argv strings split in place */
    int n_inputs;
    dim_flags dims; /* --shape, --dim, --max-dim: for an .onnx model */
} run_args;

typedef struct port {
    const char *name;
    glc_dtype dtype;
    int rank;
    const int64_t *dims;
} port;

typedef struct run_model {
    const char *path;
    glc_rt_model *rt; /* a compiled model, or */
    glc_graph *g;     /* the graph for --interp */
    const int64_t **in_dims; /* per input: its dims, for plan/invoke */
    uint64_t ws_size;        /* the planned workspace */
    char tmpdir[4096]; /* non-empty while a temporary .so exists */
    char tmpso[4200];
    uint32_t n_in, n_out;
} run_model;

/* ---- arguments -------------------------------------------------------------------- */

static int add_input(run_args *a, char *spec) {
    char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return usage_error("--input needs NAME=FILE.npy, got '%s'", spec);
    *eq = '\0';
    a->inputs[a->n_inputs++] = (input_arg){spec, eq + 1};
    return EXIT_OK;
}

static int parse_one(int argc, char **argv, int *i, run_args *a) {
    const char *s = argv[*i], *v = NULL;
    int m;
    if (!strcmp(s, "--interp")) {
        a->interp = true;
        return EXIT_OK;
    }
    if ((m = flag_value(argc, argv, i, "--input", &v)) != 0)
        return m < 0 ? EXIT_USAGE : add_input(a, (char *)v);
    if ((m = flag_value(argc, argv, i, "--output-dir", &a->out_dir)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "--name", &a->prefix)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = dim_flags_parse(argc, argv, i, &a->dims)) != 0) return m < 0 ? EXIT_USAGE : EXIT_OK;
    if (s[0] == '-' && s[1] != '\0') return usage_error("unknown flag '%s' for 'glc run'", s);
    if (a->model) return usage_error("more than one model given ('%s' and '%s')", a->model, s);
    a->model = s;
    return EXIT_OK;
}

static int parse_args(int argc, char **argv, run_args *a) {
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, a);
        if (rc != EXIT_OK) return rc;
    }
    if (!a->model) return usage_error("'glc run' needs a model (.so or .onnx)");
    bool onnx = has_suffix(a->model, ".onnx");
    if (a->interp && !onnx) return usage_error("--interp needs an .onnx model, not '%s'", a->model);
    for (int i = 0; i < a->n_inputs; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(a->inputs[i].name, a->inputs[j].name))
                return usage_error("input '%s' given twice", a->inputs[i].name);
    return EXIT_OK;
}

/* ---- the model behind its ports --------------------------------------------------- */

static port model_port(const run_model *m, bool output, uint32_t i) {
    if (m->rt) {
        const glc_model_desc *mi = glc_rt_model_desc(m->rt);
        const glc_tensor_info *t = output ? &mi->outputs[i] : &mi->inputs[i];
        return (port){t->name ? t->name : "", (glc_dtype)t->dtype, t->rank, t->dims};
    }
    const glc_value *v = &m->g->values[output ? m->g->outputs[i] : m->g->inputs[i]];
    return (port){v->name ? v->name : "", v->dtype, v->rank, v->dims};
}

/* "f32[?,4]": a symbolic dim (negative in both a compiled model's and a graph's ports)
 * as '?'. */
static void port_str(const port *p, char *buf, size_t len) {
    int64_t dims[GLC_MAX_RANK];
    for (int k = 0; k < p->rank && k < GLC_MAX_RANK; k++)
        dims[k] = p->dims[k] < 0 ? GLC_DIM_EXPR_BASE + 1 : p->dims[k];
    glc_shape_str(p->dtype, p->rank, dims, buf, len);
}

static int open_so(run_model *m, const char *path, const char *prefix) {
    char err[1024] = "";
    glc_rt_status s = glc_rt_model_open(path, prefix, &m->rt, err, sizeof err);
    if (s != GLC_RT_OK) return report_file(m->path, "%s", err[0] ? err : glc_rt_status_name(s));
    const glc_model_desc *mi = glc_rt_model_desc(m->rt);
    m->n_in = mi->n_inputs;
    m->n_out = mi->n_outputs;
    return EXIT_OK;
}

/* Compiles the .onnx to a .so in a new temporary directory, then opens that. */
static int compile_tmp(run_model *m, const char *prefix, const glc_import_options *io) {
    glc_codegen_options o = glc_codegen_defaults();
    o.opt_level = 3;
    o.emit = GLC_EMIT_SO;
    if (prefix) o.prefix = prefix;
    if (check_target(&o) != EXIT_OK) return EXIT_USAGE; /* GLC_DEFAULT_CPU */
    glc_pipeline_options po = {.verify_each = true};
    glc_diag d = {0};
    glc_graph *g = NULL;
    if (load_model_opts(m->path, io, &po, false, &g, &d) != GLC_OK) return report_diag(&d);
    const char *tmp = getenv("TMPDIR");
    snprintf(m->tmpdir, sizeof m->tmpdir, "%s/glc-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(m->tmpdir)) {
        int e = errno;
        m->tmpdir[0] = '\0';
        glc_graph_destroy(g);
        return report_file(m->path, "cannot create a temporary directory: %s", strerror(e));
    }
    snprintf(m->tmpso, sizeof m->tmpso, "%s/model.so", m->tmpdir);
    d.file = m->path;
    glc_status s = glc_codegen_emit(g, &o, m->tmpso, &d);
    glc_graph_destroy(g);
    if (s != GLC_OK) return report_diag(&d);
    return open_so(m, m->tmpso, prefix);
}

static int open_model(run_model *m, const run_args *a) {
    m->path = a->model;
    struct stat st;
    if (stat(a->model, &st) != 0) return report_file(a->model, "cannot open: %s", strerror(errno));
    if (!has_suffix(a->model, ".onnx")) {
        if (a->dims.n_shapes || a->dims.n_dims || a->dims.n_max_dims)
            return usage_error("--shape, --dim and --max-dim apply to an .onnx model, not '%s'",
                               a->model);
        return open_so(m, a->model, a->prefix);
    }
    glc_import_options io = {0};
    dim_flags_apply(&a->dims, &io);
    if (!a->interp) return compile_tmp(m, a->prefix, &io);
    glc_pipeline_options po = {.verify_each = true};
    glc_diag d = {0};
    if (load_model_opts(a->model, &io, &po, false, &m->g, &d) != GLC_OK) return report_diag(&d);
    m->n_in = m->g->n_inputs;
    m->n_out = m->g->n_outputs;
    return EXIT_OK;
}

/* Removes the temporary directory and whatever is in it (the .so, or a leftover
 * temporary file of a failed emission). */
static void remove_tmpdir(const char *dir) {
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static void close_model(run_model *m) {
    free(m->in_dims);
    glc_rt_model_close(m->rt);
    glc_graph_destroy(m->g);
    if (m->tmpdir[0]) remove_tmpdir(m->tmpdir);
}

/* ---- inputs, execution, outputs --------------------------------------------------- */

/* The tensor fits the port: its dtype and rank, and every static dim (a symbolic one,
 * negative, takes any size: the model's plan checks it). */
static bool same_shape(const port *p, const glc_host_tensor *t) {
    if (p->dtype != t->dtype || p->rank != t->rank) return false;
    for (int k = 0; k < p->rank; k++)
        if (p->dims[k] >= 0 && p->dims[k] != t->dims[k]) return false;
    return true;
}

/* Reads every --input into in[] (indexed like the model's inputs) and checks it. */
static int read_inputs(const run_model *m, const run_args *a, glc_host_tensor *in) {
    char want[256], got[256];
    for (int i = 0; i < a->n_inputs; i++) {
        uint32_t k = 0;
        while (k < m->n_in && strcmp(model_port(m, false, k).name, a->inputs[i].name)) k++;
        if (k == m->n_in) {
            char names[1024] = "";
            for (uint32_t j = 0; j < m->n_in; j++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s'%s'",
                         j ? ", " : "", model_port(m, false, j).name);
            return report_file(m->path, "unknown input '%s' (the model's inputs: %s)",
                               a->inputs[i].name, names);
        }
        glc_diag d = {.file = a->inputs[i].file};
        if (glc_npy_read(a->inputs[i].file, &in[k], &d) != GLC_OK) return report_diag(&d);
        port p = model_port(m, false, k);
        if (!same_shape(&p, &in[k])) {
            port_str(&p, want, sizeof want);
            glc_shape_str(in[k].dtype, in[k].rank, in[k].dims, got, sizeof got);
            return report_file(m->path, "input '%s': expected %s, got %s (from %s)", p.name, want,
                               got, a->inputs[i].file);
        }
    }
    for (uint32_t k = 0; k < m->n_in; k++)
        if (!in[k].data) {
            port p = model_port(m, false, k);
            port_str(&p, want, sizeof want);
            return report_file(m->path, "missing input '%s' (expected %s; give --input %s=FILE.npy)",
                               p.name, want, p.name);
        }
    return EXIT_OK;
}

/* The inputs' dims for the compiled model's plan and invoke, or the graph made static
 * for them (--interp). */
static int bind_dims(run_model *m, const glc_host_tensor *in) {
    m->in_dims = calloc(m->n_in + 1, sizeof *m->in_dims);
    int *rank = calloc(m->n_in + 1, sizeof *rank);
    if (!m->in_dims || !rank) {
        free(rank);
        return report_file(m->path, "out of memory");
    }
    for (uint32_t k = 0; k < m->n_in; k++) {
        m->in_dims[k] = in[k].dims;
        rank[k] = in[k].rank;
    }
    int rc = EXIT_OK;
    if (m->g && m->g->n_syms) {
        glc_diag d = {.file = m->path};
        if (glc_graph_bind_inputs(m->g, rank, m->in_dims, &d) != GLC_OK) rc = report_diag(&d);
    }
    free(rank);
    return rc;
}

/* Output k's dims: the graph's (static by now), or the compiled model's plan. */
static int alloc_outputs(run_model *m, glc_host_tensor *out) {
    int64_t (*dims)[GLC_MAX_RANK] = calloc(m->n_out + 1, sizeof *dims);
    int64_t **dp = calloc(m->n_out + 1, sizeof *dp);
    int rc = dims && dp ? EXIT_OK : report_file(m->path, "out of memory");
    for (uint32_t k = 0; rc == EXIT_OK && k < m->n_out; k++)
        dp[k] = dims[k];
    if (rc == EXIT_OK && m->rt) {
        glc_rt_status s = glc_rt_model_plan(m->rt, m->in_dims, dp, &m->ws_size);
        if (s != GLC_RT_OK)
            rc = report_file(m->path, "the inputs' dims: %s", glc_rt_status_name(s));
    }
    for (uint32_t k = 0; rc == EXIT_OK && k < m->n_out; k++) {
        port p = model_port(m, true, k);
        glc_diag d = {.file = m->path};
        if (glc_host_tensor_alloc(&out[k], p.dtype, p.rank, m->rt ? dims[k] : p.dims, &d) != GLC_OK)
            rc = report_diag(&d);
    }
    free(dims);
    free(dp);
    return rc;
}

static int run_compiled(const run_model *m, const void **in, void **out) {
    void *ws = NULL;
    if (m->ws_size) {
        uint64_t n = (m->ws_size + 63) / 64 * 64;
        ws = aligned_alloc(64, (size_t)n);
        if (!ws) return report_file(m->path, "cannot allocate a %llu-byte workspace",
                                    (unsigned long long)n);
    }
    glc_rt_status s = glc_rt_model_run(m->rt, in, m->in_dims, out, ws, m->ws_size);
    free(ws);
    if (s != GLC_RT_OK) return report_file(m->path, "runtime error: %s", glc_rt_status_name(s));
    return EXIT_OK;
}

static int execute(const run_model *m, glc_host_tensor *in, glc_host_tensor *out) {
    const void **ip = calloc(m->n_in + 1, sizeof *ip);
    void **op = calloc(m->n_out + 1, sizeof *op);
    int rc = EXIT_ERROR;
    if (!ip || !op) {
        report_file(m->path, "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < m->n_in; k++) ip[k] = in[k].data;
    for (uint32_t k = 0; k < m->n_out; k++) op[k] = out[k].data;
    if (m->rt) {
        rc = run_compiled(m, ip, op);
    } else {
        glc_diag d = {.file = m->path};
        rc = glc_interp_run(m->g, (const void *const *)ip, (void *const *)op, &d) == GLC_OK
                 ? EXIT_OK
                 : report_diag(&d);
    }
out:
    free(ip);
    free(op);
    return rc;
}

static int write_outputs(const run_model *m, const char *dir, const glc_host_tensor *out) {
    for (uint32_t k = 0; k < m->n_out; k++) {
        char file[512], path[4700];
        snprintf(file, sizeof file, "%s", model_port(m, true, k).name);
        for (char *c = file; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
                *c = '_';
        snprintf(path, sizeof path, "%s/%s.npy", dir, file);
        glc_diag d = {.file = path};
        if (glc_npy_write(path, &out[k], &d) != GLC_OK) return report_diag(&d);
    }
    return EXIT_OK;
}

static int check_out_dir(const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0)
        return report_file(dir, "output directory does not exist (--output-dir): %s",
                           strerror(errno));
    if (!S_ISDIR(st.st_mode)) return report_file(dir, "--output-dir is not a directory");
    return EXIT_OK;
}

static int run_model_io(run_model *m, const run_args *a) {
    glc_host_tensor *in = calloc(m->n_in + 1, sizeof *in);
    glc_host_tensor *out = calloc(m->n_out + 1, sizeof *out);
    int rc = EXIT_ERROR;
    if (!in || !out) {
        report_file(m->path, "out of memory");
        goto out;
    }
    rc = read_inputs(m, a, in);
    if (rc == EXIT_OK) rc = bind_dims(m, in);
    if (rc == EXIT_OK) rc = alloc_outputs(m, out);
    if (rc == EXIT_OK) rc = execute(m, in, out);
    if (rc == EXIT_OK) rc = write_outputs(m, a->out_dir, out);
out:
    for (uint32_t k = 0; in && k < m->n_in; k++) glc_host_tensor_fini(&in[k]);
    for (uint32_t k = 0; out && k < m->n_out; k++) glc_host_tensor_fini(&out[k]);
    free(in);
    free(out);
    return rc;
}

int cmd_run(int argc, char **argv) {
    static run_args a; /* large (the dim flags): not on the stack */
    a = (run_args){.out_dir = "."};
    a.inputs = calloc((size_t)argc + 1, sizeof *a.inputs);
    if (!a.inputs) return report_file("glc", "out of memory");
    int rc = parse_args(argc, argv, &a);
    if (rc == EXIT_OK) rc = check_out_dir(a.out_dir);
    if (rc == EXIT_OK) {
        run_model m = {0};
        rc = open_model(&m, &a);
        if (rc == EXIT_OK) rc = run_model_io(&m, &a);
        close_model(&m);
    }
    free(a.inputs);
    return rc;
}
