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
