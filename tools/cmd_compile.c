/*
 * cmd_compile.c -- `glc MODEL.onnx -o OUT [-O0..-O3] [--emit=so|obj|asm|llvm]
 * [--cpu=NAME] [--features=LIST] [--target=TRIPLE] [--name=PREFIX] [--stream] [--winograd]
 * [--bf16] [--bf16-weights] [--shape INPUT=D0xD1x...] [--dim NAME=N] [--max-dim NAME=N] [-v]`.
 *
 * A thin client of the compiler library (compiler/include/glc_compile.h): the flags
 * become glc_compile_options, and glc_compile_file imports, runs the pipeline (passes,
 * verified after each; -O0 runs none) and emits OUT whole or not at all. --bind NAME=FILE.npy
 * (repeatable) makes graph input NAME a constant holding the array, for operands glc
 * needs at compile time (Reshape's shape, Slice's starts, ...; see
 * glc_op_input_is_static). Before any work the library checks that OUT's directory exists
 * and is writable (and OUT is not a directory), so a bad -o fails fast with a message naming
 * it, and no file ever appears there.
 */
#include "codegen.h"
#include "driver.h"
#include "glc_compile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BIND 64
#define MAX_LIMIT 64

typedef struct compile_args {
    const char *model, *out;
    glc_compile_options o;
    bool verbose;
    glc_compile_binding bind[MAX_BIND]; /* --bind NAME=FILE.npy */
    glc_compile_limit limit[MAX_LIMIT]; /* --limit NAME=N */
    dim_flags dims;                     /* --shape, --dim, --max-dim */
    glc_compile_shape shapes[MAX_DIM_FLAGS];
    glc_compile_dim dim[MAX_DIM_FLAGS], max_dim[MAX_DIM_FLAGS];
} compile_args;

static const char *const emit_names[] = {
    [GLC_EMIT_SO] = "so",         [GLC_EMIT_OBJ] = "obj",       [GLC_EMIT_ASM] = "asm",
    [GLC_EMIT_LLVM] = "llvm",     [GLC_EMIT_STATIC] = "static", [GLC_EMIT_HEADER] = "header"};
static const char *const emit_exts[] = {
    [GLC_EMIT_SO] = ".so",   [GLC_EMIT_OBJ] = ".o",    [GLC_EMIT_ASM] = ".s",
    [GLC_EMIT_LLVM] = ".ll", [GLC_EMIT_STATIC] = ".a", [GLC_EMIT_HEADER] = ".h"};

static int parse_emit(const char *v, glc_compile_emit *k) {
    for (int i = 0; i < (int)(sizeof emit_names / sizeof *emit_names); i++)
        if (!strcmp(v, emit_names[i])) {
            *k = (glc_compile_emit)i;
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

/* NAME=FILE.npy, split in place (argv is ours). */
static int add_bind(compile_args *a, char *spec) {
    char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return usage_error("--bind needs NAME=FILE.npy, got '%s'", spec);
    uint32_t n = a->o.n_bindings;
    if (n == MAX_BIND) return usage_error("more than %d --bind flags", MAX_BIND);
    *eq = '\0';
    a->bind[n] = (glc_compile_binding){spec, eq + 1};
    a->o.n_bindings = n + 1;
    return EXIT_OK;
}

/* NAME=N, checked by parse_limit (usage errors), then kept for the library. */
static int add_limit(compile_args *a, char *spec) {
    glc_import_limits scratch = glc_import_limits_default();
    if (parse_limit(spec, &scratch) != EXIT_OK) return EXIT_USAGE;
    uint32_t n = a->o.n_limits;
    if (n == MAX_LIMIT) return usage_error("more than %d --limit flags", MAX_LIMIT);
    char *eq = strchr(spec, '=');
    *eq = '\0';
    a->limit[n] = (glc_compile_limit){spec, strtoull(eq + 1, NULL, 10)};
    a->o.n_limits = n + 1;
    return EXIT_OK;
}

static bool parse_switch(const char *s, compile_args *a) {
    bool *flag = !strcmp(s, "-v")             ? &a->verbose
                 : !strcmp(s, "--stream")     ? &a->o.stream
                 : !strcmp(s, "--winograd")   ? &a->o.winograd
                 : !strcmp(s, "--bf16")       ? &a->o.bf16_dot
                 : !strcmp(s, "--bf16-weights") ? &a->o.bf16_weights
                                              : NULL;
    if (flag) *flag = true;
    return flag != NULL;
}

/* A flag with a value: 1 consumed (rc set), 0 not one of them. */
static int parse_valued(int argc, char **argv, int *i, compile_args *a, int *rc) {
    const char *v = NULL;
    int m;
    if ((m = flag_value(argc, argv, i, "--bind", &v)) != 0)
        *rc = m < 0 ? EXIT_USAGE : add_bind(a, (char *)v);
    else if ((m = flag_value(argc, argv, i, "--limit", &v)) != 0)
        *rc = m < 0 ? EXIT_USAGE : add_limit(a, (char *)v);
    else if ((m = flag_value(argc, argv, i, "--emit", &v)) != 0)
        *rc = m < 0 ? EXIT_USAGE : parse_emit(v, &a->o.emit);
    else if ((m = flag_value(argc, argv, i, "-o", &a->out)) != 0 ||
             (m = flag_value(argc, argv, i, "--cpu", &a->o.cpu)) != 0 ||
             (m = flag_value(argc, argv, i, "--features", &a->o.features)) != 0 ||
             (m = flag_value(argc, argv, i, "--target", &a->o.triple)) != 0 ||
             (m = flag_value(argc, argv, i, "--name", &a->o.prefix)) != 0)
        *rc = m < 0 ? EXIT_USAGE : EXIT_OK;
    else if ((m = flag_value(argc, argv, i, "--disable-pass", &a->o.disable_pass)) != 0)
        *rc = m < 0 ? EXIT_USAGE : known_pass(a->o.disable_pass, "--disable-pass");
    return m != 0;
}

/* One argument of the compile command; *i may advance past a flag's value. */
static int parse_one(int argc, char **argv, int *i, compile_args *a) {
    const char *s = argv[*i];
    int m, rc = EXIT_OK;
    if (parse_switch(s, a)) return EXIT_OK;
    if (!strncmp(s, "-O", 2)) return parse_opt_level(s, &a->o.opt_level);
    if ((m = dim_flags_parse(argc, argv, i, &a->dims)) != 0) return m < 0 ? EXIT_USAGE : EXIT_OK;
    if (parse_valued(argc, argv, i, a, &rc)) return rc;
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

/* The --shape/--dim/--max-dim flags (driver.c's structs) as the library's. */
static void apply_dims(compile_args *a) {
    const dim_flags *f = &a->dims;
    for (uint32_t k = 0; k < f->n_shapes; k++) {
        const glc_import_shape *s = &f->shapes[k];
        glc_compile_shape *t = &a->shapes[k];
        *t = (glc_compile_shape){.input = s->input, .rank = s->rank};
        memcpy(t->dims, s->dims, sizeof t->dims);
        memcpy(t->names, s->names, sizeof t->names);
    }
    for (uint32_t k = 0; k < f->n_dims; k++)
        a->dim[k] = (glc_compile_dim){f->dims[k].param, f->dims[k].value};
    for (uint32_t k = 0; k < f->n_max_dims; k++)
        a->max_dim[k] = (glc_compile_dim){f->max_dims[k].param, f->max_dims[k].value};
    a->o.shapes = a->shapes, a->o.n_shapes = f->n_shapes;
    a->o.dims = a->dim, a->o.n_dims = f->n_dims;
    a->o.max_dims = a->max_dim, a->o.n_max_dims = f->n_max_dims;
}

static void log_stderr(void *user, const char *line) { fprintf(stderr, "%s\n", line); }

/* An unknown CPU or feature is a usage error, before any work (driver.c). */
static int check_names(const glc_compile_options *o) {
    glc_codegen_options cg = glc_codegen_defaults();
    cg.cpu = o->cpu, cg.features = o->features, cg.triple = o->triple;
    return check_target(&cg);
}

int cmd_compile(int argc, char **argv) {
    compile_args a = {.o = glc_compile_defaults()};
    a.o.bindings = a.bind, a.o.limits = a.limit;
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, &a);
        if (rc != EXIT_OK) return rc;
    }
    if (!a.model) return usage_error("no model given");
    if (a.o.prefix && !glc_codegen_valid_prefix(a.o.prefix))
        return usage_error("--name=%s is not a C identifier", a.o.prefix);
    char buf[4096];
    if (!a.out) a.out = default_out(a.model, (glc_emit_kind)a.o.emit, buf, sizeof buf);
    if (a.verbose) a.o.log = log_stderr;
    apply_dims(&a);
    if (check_names(&a.o) != EXIT_OK) return EXIT_USAGE;
    /* glc_compile_file checks out's directory before any work (one line, exit 1). */
    glc_compile_diag d;
    if (glc_compile_file(a.model, a.out, &a.o, &d) == GLC_COMPILE_OK) return EXIT_OK;
    fprintf(stderr, "%s\n", d.message);
    return EXIT_ERROR;
}
