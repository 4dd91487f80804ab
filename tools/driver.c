/*
 * driver.c -- helpers shared by the driver's commands: one-line error reporting,
 * flag parsing and "import, then run the pipeline".
 *
 * A diagnostic is always one line: glc_diag_format flattens newlines, and the
 * driver's own messages are built from short fixed strings and names.
 */
#include "driver.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int report_diag(const glc_diag *d) {
    char line[2048];
    glc_diag_format(d, line, sizeof line);
    fprintf(stderr, "%s\n", line);
    return EXIT_ERROR;
}

int report_file(const char *file, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", file, msg);
    return EXIT_ERROR;
}

int usage_error(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "glc: error: %s (run 'glc --help' for usage)\n", msg);
    return EXIT_USAGE;
}

int check_target(const glc_codegen_options *o) {
    glc_diag d = {0};
    if (glc_codegen_target_check(o, &d) == GLC_E_ARG) return usage_error("%s", d.msg);
    return EXIT_OK;
}

int flag_value(int argc, char **argv, int *i, const char *name, const char **val) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
    } else if (a[n] == '\0') {
        if (*i + 1 >= argc) {
            usage_error("%s needs a value", name);
            return -1;
        }
        *val = argv[++*i];
    } else {
        return 0; /* a longer flag that merely starts with name */
    }
    if (!**val) {
        usage_error("%s needs a non-empty value", name);
        return -1;
    }
    return 1;
}

bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int parse_limit(const char *spec, glc_import_limits *l) {
    const char *eq = strchr(spec, '=');
    char name[64], *end;
    if (!eq || eq == spec || (size_t)(eq - spec) >= sizeof name || !eq[1])
        return usage_error("--limit needs NAME=N, got '%s'", spec);
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    errno = 0;
    unsigned long long v = strtoull(eq + 1, &end, 10);
    if (*end || errno || eq[1] == '-')
        return usage_error("--limit %s: '%s' is not a non-negative integer", name, eq + 1);
    glc_diag d = {0};
    if (glc_import_limit_set(l, name, v, &d) != GLC_OK) return usage_error("--limit: %s", d.msg);
    return EXIT_OK;
}

void print_limits_help(void) {
    for (size_t i = 0; i < glc_import_limit_count; i++) {
        const glc_import_limit_info *e = &glc_import_limit_table[i];
        printf("    %-13s %-11llu %s\n", e->name, (unsigned long long)e->def, e->what);
    }
}

int known_pass(const char *name, const char *flag) {
    if (glc_pass_find(name)) return EXIT_OK;
    char names[1024] = "";
    for (int i = 0; i < glc_pipeline_len; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                 glc_pipeline[i].cli_name);
    return usage_error("unknown pass '%s' for %s (passes: %s)", name, flag, names);
}

double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

glc_status load_model(const char *path, const glc_pipeline_options *o, bool verbose,
                      glc_graph **out, glc_diag *d) {
    return load_model_opts(path, NULL, o, verbose, out, d);
}

glc_status load_model_opts(const char *path, const glc_import_options *io,
                           const glc_pipeline_options *o, bool verbose, glc_graph **out,
                           glc_diag *d) {
    *out = NULL;
    d->file = path;
    glc_graph *g = NULL;
    double t0 = now_ms();
    GLC_TRY(glc_import_onnx_file_opts(path, io, &g, d));
    double t1 = now_ms();
    if (verbose)
        fprintf(stderr, "glc: import %s: %u nodes, %u values, %.1f ms\n", path, g->n_nodes,
                g->n_values, t1 - t0);
    glc_status s = glc_run_pipeline(g, o, d);
    if (s != GLC_OK) {
        glc_graph_destroy(g);
        return s;
    }
    if (verbose)
        fprintf(stderr, "glc: passes: %s, %u nodes, %.1f ms\n",
                o->disable_all ? "no pass run (-O0)" : "pipeline done", g->n_nodes, now_ms() - t1);
    *out = g;
    return GLC_OK;
}

/* ---- --shape, --dim, --max-dim ---------------------------------------------------------- */

/* "NAME=VALUE": NAME (in place, NUL-terminated) and VALUE; NULL if not of that form. */
static char *split_eq(char *spec) {
    char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1]) return NULL;
    *eq = 0;
    return eq + 1;
}

static bool parse_count(const char *s, int64_t lo, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < lo || v > GLC_DIM_SYM_MAX) return false;
    *out = v;
    return true;
}

static bool is_name(const char *s) {
    if (!*s || (*s >= '0' && *s <= '9')) return false;
    for (; *s; s++)
        if (!(*s == '_' || *s == '.' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

/* D0xD1x... or D0,D1,... (commas when a name has an 'x'): each a count >= 0, '?' (-1:
 * keep the model's dim) or a symbol's name. */
static int parse_shape(char *spec, glc_import_shape *sh) {
    const char *name = spec;
    char *v = split_eq(spec);
    if (!v) return usage_error("--shape needs INPUT=D0xD1x..., got '%s'", spec);
    sh->input = name;
    sh->rank = 0;
    const char *sep = strchr(v, ',') ? "," : "x";
    char *save = NULL;
    for (char *tok = strtok_r(v, sep, &save); tok; tok = strtok_r(NULL, sep, &save)) {
        if (sh->rank == GLC_MAX_RANK)
            return usage_error("--shape %s: more than %d dims", name, GLC_MAX_RANK);
        int k = sh->rank++;
        sh->names[k] = NULL;
        if (!strcmp(tok, "?")) sh->dims[k] = -1;
        else if (is_name(tok)) sh->names[k] = tok;
        else if (!parse_count(tok, 0, &sh->dims[k]))
            return usage_error("--shape %s: '%s' is not a dim (a count, '?' or a name)", name, tok);
    }
    return EXIT_OK;
}

static int parse_named(char *spec, const char *flag, glc_import_dim *d) {
    char *v = split_eq(spec);
    if (!v || !parse_count(v, 1, &d->value))
        return usage_error("%s needs NAME=N with N from 1 to %lld, got '%s%s%s'", flag,
                           (long long)GLC_DIM_SYM_MAX, spec, v ? "=" : "", v ? v : "");
    d->param = spec;
    return EXIT_OK;
}

int dim_flags_parse(int argc, char **argv, int *i, dim_flags *f) {
    const char *v = NULL;
    int m, rc;
    if ((m = flag_value(argc, argv, i, "--shape", &v)) != 0) {
        if (m < 0) return -1;
        if (f->n_shapes == MAX_DIM_FLAGS) return usage_error("too many --shape flags"), -1;
        rc = parse_shape((char *)v, &f->shapes[f->n_shapes++]);
        return rc == EXIT_OK ? 1 : -1;
    }
    if ((m = flag_value(argc, argv, i, "--dim", &v)) != 0) {
        if (m < 0) return -1;
        if (f->n_dims == MAX_DIM_FLAGS) return usage_error("too many --dim flags"), -1;
        rc = parse_named((char *)v, "--dim", &f->dims[f->n_dims++]);
        return rc == EXIT_OK ? 1 : -1;
    }
    if ((m = flag_value(argc, argv, i, "--max-dim", &v)) != 0) {
        if (m < 0) return -1;
        if (f->n_max_dims == MAX_DIM_FLAGS) return usage_error("too many --max-dim flags"), -1;
        rc = parse_named((char *)v, "--max-dim", &f->max_dims[f->n_max_dims++]);
        return rc == EXIT_OK ? 1 : -1;
    }
    return 0;
}

void dim_flags_apply(const dim_flags *f, glc_import_options *o) {
    o->shapes = f->shapes;
    o->n_shapes = f->n_shapes;
    o->dims = f->dims;
    o->n_dims = f->n_dims;
    o->max_dims = f->max_dims;
    o->n_max_dims = f->n_max_dims;
}
