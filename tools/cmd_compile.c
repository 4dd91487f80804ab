/*
 * cmd_compile.c -- `glc MODEL.onnx -o OUT [-O0..-O3] [--emit=so|obj|asm|llvm]
 * [--cpu=NAME] [--features=LIST] [--target=TRIPLE] [--name=PREFIX] [--stream] [--winograd]
 * [--bf16] [--bf16-weights] [--shape INPUT=D0xD1x...] [--dim NAME=N] [--max-dim NAME=N] [-v]`.
 *
 * import (frontend) -> pipeline (passes, verified after each; -O0 runs none) ->
 * glc_codegen_emit, which writes OUT whole or not at all. --bind NAME=FILE.npy
 * (repeatable) makes graph input NAME a constant holding the array, for operands glc
 * needs at compile time (Reshape's shape, Slice's starts, ...; see
 * glc_op_input_is_static). Before any work the driver
 * checks that OUT's directory exists and is writable, so a bad -o fails fast with a
 * message naming it, and no file ever appears there.
 */
#include "codegen.h"
#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BIND 64

typedef struct compile_args {
    const char *model, *out;
    glc_codegen_options cg;
    bool verbose;
    bool stream; /* --stream: the stream pass runs first (passes/stream.c) */
    const char *bind[MAX_BIND]; /* --bind NAME=FILE.npy, as given */
    int n_bind;
    glc_import_limits limits; /* --limit NAME=N */
    dim_flags dims;           /* --shape, --dim, --max-dim */
} compile_args;

static const char *const emit_names[] = {
    [GLC_EMIT_SO] = "so",         [GLC_EMIT_OBJ] = "obj",       [GLC_EMIT_ASM] = "asm",
    [GLC_EMIT_LLVM] = "llvm",     [GLC_EMIT_STATIC] = "static", [GLC_EMIT_HEADER] = "header"};
static const char *const emit_exts[] = {
    [GLC_EMIT_SO] = ".so",   [GLC_EMIT_OBJ] = ".o",    [GLC_EMIT_ASM] = ".s",
    [GLC_EMIT_LLVM] = ".ll", [GLC_EMIT_STATIC] = ".a", [GLC_EMIT_HEADER] = ".h"};

static int parse_emit(const char *v, glc_emit_kind *k) {
    for (int i = 0; i < (int)(sizeof emit_names / sizeof *emit_names); i++)
        if (!strcmp(v, emit_names[i])) {
            *k = (glc_emit_kind)i;
            return EXIT_OK;
        }
    return usage_error("unknown --emit kind '%s' (expected so, obj, static, header, asm or llvm)",
                       v);
}

static int parse_opt_level(const char *a, int *level) {
    if (a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
        *level = a[2] - '0';
        return EXIT_OK;
    }
    return usage_error("bad optimisation level '%s': expected -O0, -O1, -O2 or -O3", a);
}

static int add_bind(compile_args *a, const char *spec) {
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return usage_error("--bind needs NAME=FILE.npy, got '%s'", spec);
    if (a->n_bind == MAX_BIND) return usage_error("more than %d --bind flags", MAX_BIND);
    a->bind[a->n_bind++] = spec;
    return EXIT_OK;
}

/* The --bind arrays, read from their .npy files. */
typedef struct bindings {
    glc_import_binding b[MAX_BIND];
    glc_host_tensor t[MAX_BIND];
    char *name[MAX_BIND];
    glc_import_options opt;
} bindings;

static void bindings_fini(bindings *bs) {
    for (uint32_t k = 0; k < bs->opt.n_bind; k++) {
        glc_host_tensor_fini(&bs->t[k]);
        free(bs->name[k]);
    }
}

static glc_status bindings_read(const compile_args *a, bindings *bs, glc_diag *d) {
    bs->opt.bind = bs->b;
    bs->opt.limits = &a->limits;
    for (int k = 0; k < a->n_bind; k++) {
        const char *eq = strchr(a->bind[k], '=');
        bs->name[k] = strndup(a->bind[k], (size_t)(eq - a->bind[k]));
        bs->b[k] = (glc_import_binding){bs->name[k], &bs->t[k]};
        bs->opt.n_bind = (uint32_t)k + 1;
        d->file = eq + 1;
        if (!bs->name[k]) return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
        GLC_TRY(glc_npy_read(eq + 1, &bs->t[k], d));
    }
    return GLC_OK;
}

/* One argument of the compile command; *i may advance past a flag's value. */
static int parse_one(int argc, char **argv, int *i, compile_args *a) {
    const char *s = argv[*i], *v = NULL;
    int m;
    if (!strcmp(s, "-v")) {
        a->verbose = true;
        return EXIT_OK;
    }
    if (!strcmp(s, "--stream")) {
        a->stream = true;
        return EXIT_OK;
    }
    if (!strcmp(s, "--winograd")) {
        a->cg.winograd = true;
        return EXIT_OK;
    }
    if (!strcmp(s, "--bf16")) {
        a->cg.bf16_dot = true;
        return EXIT_OK;
    }
    if (!strcmp(s, "--bf16-weights")) {
        a->cg.bf16_weights = true;
        return EXIT_OK;
    }
    if (!strncmp(s, "-O", 2)) return parse_opt_level(s, &a->cg.opt_level);
    if ((m = dim_flags_parse(argc, argv, i, &a->dims)) != 0) return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "-o", &a->out)) != 0) return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "--bind", &v)) != 0)
        return m < 0 ? EXIT_USAGE : add_bind(a, v);
    if ((m = flag_value(argc, argv, i, "--limit", &v)) != 0)
        return m < 0 ? EXIT_USAGE : parse_limit(v, &a->limits);
    if ((m = flag_value(argc, argv, i, "--emit", &v)) != 0)
        return m < 0 ? EXIT_USAGE : parse_emit(v, &a->cg.emit);
    if ((m = flag_value(argc, argv, i, "--cpu", &a->cg.cpu)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "--features", &a->cg.features)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "--target", &a->cg.triple)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "--name", &a->cg.prefix)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if (s[0] == '-' && s[1] != '\0') return usage_error("unknown flag '%s'", s);
    if (a->model) return usage_error("more than one model given ('%s' and '%s')", a->model, s);
    a->model = s;
    return EXIT_OK;
}

/* "dir/model.onnx" -> "model<ext>" in the current directory; buf owned by the caller. */
static const char *default_out(const char *model, glc_emit_kind k, char *buf, size_t len) {
    const char *base = strrchr(model, '/');
    base = base ? base + 1 : model;
    size_t n = strlen(base);
    if (has_suffix(base, ".onnx")) n -= 5;
    snprintf(buf, len, "%.*s%s", (int)n, base, emit_exts[k]);
    return buf;
}

/* The symbol prefix becomes C identifiers: letters, digits and '_', not a digit first. */
static bool valid_prefix(const char *p) {
    if (!*p || (*p >= '0' && *p <= '9')) return false;
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    return true;
}

/* Fails unless out's directory exists and is writable (and out is not a directory). */
static int check_out_path(const char *out) {
    char dir[4096];
    const char *slash = strrchr(out, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == out) snprintf(dir, sizeof dir, "/");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
    struct stat st;
    if (stat(dir, &st) != 0)
        return report_file(out, "cannot write output: directory '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return report_file(out, "cannot write output: '%s' is not a directory", dir);
    if (access(dir, W_OK) != 0)
        return report_file(out, "cannot write output: directory '%s': %s", dir, strerror(errno));
    if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
        return report_file(out, "cannot write output: it is a directory");
    return EXIT_OK;
}

static int compile(const compile_args *a) {
    glc_pipeline_options po = {
        .verify_each = true, .disable_all = a->cg.opt_level == 0, .stream = a->stream};
    glc_diag d = {0};
    glc_graph *g = NULL;
    bindings bs = {0};
    glc_status ls = bindings_read(a, &bs, &d);
    dim_flags_apply(&a->dims, &bs.opt);
    if (ls == GLC_OK) ls = load_model_opts(a->model, &bs.opt, &po, a->verbose, &g, &d);
    bindings_fini(&bs);
    if (ls != GLC_OK) return report_diag(&d);
    double t0 = now_ms();
    d.file = a->model;
    glc_status s = glc_codegen_emit(g, &a->cg, a->out, &d);
    glc_graph_destroy(g);
    if (s != GLC_OK) return report_diag(&d);
    if (a->verbose)
        fprintf(stderr, "glc: codegen -O%d --emit=%s: wrote %s, %.1f ms\n", a->cg.opt_level,
                emit_names[a->cg.emit], a->out, now_ms() - t0);
    return EXIT_OK;
}

int cmd_compile(int argc, char **argv) {
    compile_args a = {.cg = glc_codegen_defaults(), .limits = glc_import_limits_default()};
    a.cg.opt_level = 3;
    a.cg.emit = GLC_EMIT_SO;
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, &a);
        if (rc != EXIT_OK) return rc;
    }
    if (!a.model) return usage_error("no model given");
    if (a.cg.prefix && !valid_prefix(a.cg.prefix))
        return usage_error("--name=%s is not a C identifier", a.cg.prefix);
    char buf[4096];
    if (!a.out) a.out = default_out(a.model, a.cg.emit, buf, sizeof buf);
    a.cg.verbose = a.verbose;
    if (check_target(&a.cg) != EXIT_OK) return EXIT_USAGE;
    if (check_out_path(a.out) != EXIT_OK) return EXIT_ERROR;
    return compile(&a);
}
