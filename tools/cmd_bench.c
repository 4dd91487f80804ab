/*
 * cmd_bench.c -- `glc bench MODEL.so [--iters N] [--warmup N] [--threads T]
 * [--input NAME=FILE.npy ...] [--name PREFIX] [--json]`.
 *
 * Measures the latency of the compiled model's run() on fixed inputs: `warmup` untimed
 * runs, then `iters` timed ones, each timed alone with CLOCK_MONOTONIC. Reports the
 * median, minimum and maximum, and memory: the process's peak resident set size
 * (getrusage ru_maxrss) and its resident size before the model was opened (VmRSS of
 * /proc/self/status). The driver links LLVM, so the baseline is large; the difference is
 * what the model costs: its code and constants, the workspace and the tensors.
 *
 * Inputs not given with --input are filled once, before timing, with a fixed
 * pseudo-random sequence: floats uniform in [-1, 1), integers and bools 0 (lengths,
 * indices and masks mean something; give them with --input). Buffers are 64-byte aligned.
 *
 * --threads T runs the model on a pool of T threads (glc_rt_pool_create, the caller
 * counted); the default is the model's own default, GLC_NUM_THREADS or every CPU.
 * Output: one line of text, or with --json one JSON object:
 *   {"model": ..., "iters": N, "warmup": N, "threads": 1, "median_s": ..., "min_s": ...,
 *    "max_s": ..., "peak_rss_mb": ..., "base_rss_mb": ..., "model_rss_mb": peak - base, at least 0}
 */
#include "driver.h"
#include "frontend.h"
#include "glc_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_BENCH_INPUTS 64

typedef struct bench_args {
    const char *model, *prefix;
    long iters, warmup, threads;
    bool json;
    char *input_specs[MAX_BENCH_INPUTS]; /* NAME=FILE, split in place */
    int n_inputs;
    dim_flags shapes; /* --shape INPUT=D0xD1x...: the dims of inputs with symbolic ones */
} bench_args;

typedef struct bench_bufs {
    void **in, **out, *ws;
    uint32_t n_in, n_out;
    int64_t (*in_dims)[GLC_MAX_RANK], (*out_dims)[GLC_MAX_RANK];
    const int64_t **in_dp; /* in_dims as the ABI's array of arrays */
    uint64_t ws_size;
} bench_bufs;

static int parse_count(const char *flag, const char *v, long lo, long *out) {
    char *end = NULL;
    long x = strtol(v, &end, 10);
    if (!end || *end || x < lo || x > 100000000L)
        return usage_error("%s needs an integer >= %ld, got '%s'", flag, lo, v);
    *out = x;
    return EXIT_OK;
}

static int parse_one(int argc, char **argv, int *i, bench_args *a) {
    const char *s = argv[*i], *v = NULL;
    int m;
    if (!strcmp(s, "--json")) {
        a->json = true;
        return EXIT_OK;
    }
    if ((m = flag_value(argc, argv, i, "--iters", &v)) != 0)
        return m < 0 ? EXIT_USAGE : parse_count("--iters", v, 1, &a->iters);
    if ((m = flag_value(argc, argv, i, "--warmup", &v)) != 0)
        return m < 0 ? EXIT_USAGE : parse_count("--warmup", v, 0, &a->warmup);
    if ((m = flag_value(argc, argv, i, "--threads", &v)) != 0) {
        if (m < 0) return EXIT_USAGE;
        return parse_count("--threads", v, 1, &a->threads);
    }
    if ((m = flag_value(argc, argv, i, "--name", &a->prefix)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if (!strcmp(s, "--dim") || !strcmp(s, "--max-dim") || !strncmp(s, "--dim=", 6) ||
        !strncmp(s, "--max-dim=", 10))
        return usage_error("'glc bench' takes --shape for the inputs' dims, not %s", s);
    if ((m = dim_flags_parse(argc, argv, i, &a->shapes)) != 0)
        return m < 0 ? EXIT_USAGE : EXIT_OK;
    if ((m = flag_value(argc, argv, i, "--input", &v)) != 0) {
        if (m < 0) return EXIT_USAGE;
        if (a->n_inputs == MAX_BENCH_INPUTS) return usage_error("too many --input flags");
        if (!strchr(v, '=') || v[0] == '=') return usage_error("--input needs NAME=FILE.npy");
        a->input_specs[a->n_inputs++] = (char *)v;
        return EXIT_OK;
    }
    if (s[0] == '-' && s[1] != '\0') return usage_error("unknown flag '%s' for 'glc bench'", s);
    if (a->model) return usage_error("more than one model given ('%s' and '%s')", a->model, s);
    a->model = s;
    return EXIT_OK;
}

/* xorshift64*, so that every run of glc bench sees the same inputs. */
static float next_uniform(uint64_t *st) {
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    uint64_t r = *st * 2685821657736338717ULL;
    return (float)((double)(r >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
}

static void *alloc_zeroed(uint64_t n) {
    size_t sz = (size_t)((n + 63) / 64 * 64);
    void *p = aligned_alloc(64, sz ? sz : 64);
    if (p) memset(p, 0, sz ? sz : 64);
    return p;
}

/* The --input file for t, read (NULL: none given); *rc set on a read error. */
static bool read_input_file(const bench_args *a, const glc_tensor_info *t, glc_host_tensor *h,
                            int *rc) {
    for (int k = 0; k < a->n_inputs; k++) {
        const char *spec = a->input_specs[k], *eq = strchr(spec, '=');
        if (strncmp(spec, t->name, (size_t)(eq - spec)) || t->name[eq - spec]) continue;
        glc_diag d = {.file = eq + 1};
        if (glc_npy_read(eq + 1, h, &d) != GLC_OK) *rc = report_diag(&d);
        bool ok = *rc == EXIT_OK && (int)h->dtype == t->dtype && h->rank == t->rank;
        for (int j = 0; ok && j < t->rank; j++) ok = t->dims[j] < 0 || h->dims[j] == t->dims[j];
        if (*rc == EXIT_OK && !ok)
            *rc = report_file(eq + 1, "does not match input '%s' (dtype/shape)", t->name);
        return true;
    }
    return false;
}

/* Input t's dims: its file's, its --shape, or the model's static ones. */
static int input_dims(const bench_args *a, const glc_tensor_info *t, const glc_host_tensor *h,
                      int64_t *dims) {
    const glc_import_shape *sh = NULL;
    for (uint32_t k = 0; k < a->shapes.n_shapes; k++)
        if (!strcmp(a->shapes.shapes[k].input, t->name)) sh = &a->shapes.shapes[k];
    if (sh && sh->rank != t->rank)
        return report_file(a->model, "--shape %s has %d dims; the input has %d", t->name, sh->rank,
                           t->rank);
    for (int j = 0; j < t->rank; j++) {
        dims[j] = h->data ? h->dims[j] : sh && sh->dims[j] >= 0 ? sh->dims[j] : t->dims[j];
        if (dims[j] < 0)
            return report_file(a->model, "input '%s' has symbolic dim %d (%s): give its dims with "
                               "--shape %s=D0xD1x... or an --input file", t->name, j,
                               t->dim_names && t->dim_names[j] ? t->dim_names[j] : "?", t->name);
        if (t->dims[j] >= 0 && dims[j] != t->dims[j])
            return report_file(a->model, "--shape %s: axis %d is %lld in the model", t->name, j,
                               (long long)t->dims[j]);
    }
    return EXIT_OK;
}

static uint64_t bytes_of(int32_t dtype, int rank, const int64_t *dims) {
    uint64_t n = glc_dtype_size((glc_dtype)dtype);
    for (int j = 0; j < rank; j++) n *= (uint64_t)dims[j];
    return n;
}

/* Input i: dims, buffer, contents (its file, else the default pattern). */
static int make_input(const bench_args *a, const glc_tensor_info *t, bench_bufs *b, uint32_t i,
                      uint64_t *rng) {
    glc_host_tensor h = {0};
    int rc = EXIT_OK;
    read_input_file(a, t, &h, &rc);
    if (rc == EXIT_OK) rc = input_dims(a, t, &h, b->in_dims[i]);
    uint64_t n = bytes_of(t->dtype, t->rank, b->in_dims[i]);
    if (rc == EXIT_OK && !(b->in[i] = alloc_zeroed(n))) rc = report_file(a->model, "out of memory");
    if (rc == EXIT_OK && h.data) memcpy(b->in[i], h.data, n);
    else if (rc == EXIT_OK && t->dtype == GLC_DT_F32)
        for (uint64_t j = 0; j < n / 4; j++) ((float *)b->in[i])[j] = next_uniform(rng);
    glc_host_tensor_fini(&h);
    return rc;
}

static int check_input_names(const bench_args *a, const glc_model_desc *mi) {
    for (int k = 0; k < a->n_inputs; k++) {
        const char *spec = a->input_specs[k];
        size_t len = (size_t)(strchr(spec, '=') - spec);
        bool found = false;
        for (uint32_t i = 0; i < mi->n_inputs && !found; i++)
            found = strlen(mi->inputs[i].name) == len && !strncmp(mi->inputs[i].name, spec, len);
        if (!found) return report_file(a->model, "has no input named '%.*s'", (int)len, spec);
    }
    return EXIT_OK;
}

/* The outputs and the workspace, sized by the model's plan for the inputs' dims. */
static int plan_outputs(const bench_args *a, glc_rt_model *m, bench_bufs *b) {
    const glc_model_desc *mi = glc_rt_model_desc(m);
    int64_t **od = calloc(b->n_out + 1, sizeof *od);
    if (!od) return report_file(a->model, "out of memory");
    for (uint32_t i = 0; i < b->n_out; i++) od[i] = b->out_dims[i];
    glc_rt_status s = glc_rt_model_plan(m, b->in_dp, od, &b->ws_size);
    free(od);
    if (s != GLC_RT_OK)
        return report_file(a->model, "the inputs' dims: %s", glc_rt_status_name(s));
    if (!(b->ws = alloc_zeroed(b->ws_size))) return report_file(a->model, "out of memory");
    for (uint32_t i = 0; i < b->n_out; i++) {
        uint64_t n = bytes_of(mi->outputs[i].dtype, mi->outputs[i].rank, b->out_dims[i]);
        if (!(b->out[i] = alloc_zeroed(n))) return report_file(a->model, "out of memory");
    }
    return EXIT_OK;
}

static int alloc_bufs(const bench_args *a, glc_rt_model *m, bench_bufs *b) {
    const glc_model_desc *mi = glc_rt_model_desc(m);
    uint64_t rng = 0x9E3779B97F4A7C15ULL;
    b->n_in = mi->n_inputs;
    b->n_out = mi->n_outputs;
    b->in = calloc(b->n_in + 1, sizeof *b->in);
    b->out = calloc(b->n_out + 1, sizeof *b->out);
    b->in_dims = calloc(b->n_in + 1, sizeof *b->in_dims);
    b->out_dims = calloc(b->n_out + 1, sizeof *b->out_dims);
    b->in_dp = calloc(b->n_in + 1, sizeof *b->in_dp);
    if (!b->in || !b->out || !b->in_dims || !b->out_dims || !b->in_dp)
        return report_file(a->model, "out of memory");
    for (uint32_t i = 0; i < b->n_in; i++) {
        b->in_dp[i] = b->in_dims[i];
        int rc = make_input(a, &mi->inputs[i], b, i, &rng);
        if (rc != EXIT_OK) return rc;
    }
    return plan_outputs(a, m, b);
}

static void free_bufs(bench_bufs *b) {
    for (uint32_t i = 0; b->in && i < b->n_in; i++) free(b->in[i]);
    for (uint32_t i = 0; b->out && i < b->n_out; i++) free(b->out[i]);
    free(b->in);
    free(b->out);
    free(b->ws);
    free(b->in_dims);
    free(b->out_dims);
    free(b->in_dp);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Resident set size now, in MB (0 if /proc is unavailable). */
static double rss_now_mb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atof(line + 6);
    if (f) fclose(f);
    return kb / 1024.0;
}

/* s as a JSON string body: quotes, backslashes and control characters escaped. */
static void put_json_str(const char *s) {
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
}

static void print_result(const bench_args *a, double *t, double base_mb) {
    qsort(t, (size_t)a->iters, sizeof *t, cmp_double);
    double med = a->iters % 2 ? t[a->iters / 2] : 0.5 * (t[a->iters / 2 - 1] + t[a->iters / 2]);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double peak_mb = (double)ru.ru_maxrss / 1024.0;
    double model_mb = peak_mb > base_mb ? peak_mb - base_mb : 0.0;
    if (!a->json) {
        printf("%s: median %.6f ms, min %.6f ms, max %.6f ms over %ld runs (%ld warm-up, "
               "%ld thread%s); peak RSS %.1f MB, %.1f MB above the %.1f MB before loading\n",
               a->model, med * 1e3, t[0] * 1e3, t[a->iters - 1] * 1e3, a->iters, a->warmup,
               a->threads, a->threads == 1 ? "" : "s", peak_mb, model_mb, base_mb);
        return;
    }
    printf("{\"model\": \"");
    put_json_str(a->model);
    printf("\", \"iters\": %ld, \"warmup\": %ld, \"threads\": %ld, \"median_s\": %.9g, "
           "\"min_s\": %.9g, \"max_s\": %.9g, \"peak_rss_mb\": %.3f, \"base_rss_mb\": %.3f, "
           "\"model_rss_mb\": %.3f}\n",
           a->iters, a->warmup, a->threads, med, t[0], t[a->iters - 1], peak_mb, base_mb,
           model_mb);
}

static int measure(const bench_args *a, glc_rt_model *m, const glc_parallel *par,
                   double base_mb) {
    const glc_model_desc *mi = glc_rt_model_desc(m);
    bench_bufs b = {0};
    double *t = calloc((size_t)a->iters, sizeof *t);
    int rc = t ? check_input_names(a, mi) : report_file(a->model, "out of memory");
    if (rc == EXIT_OK) rc = alloc_bufs(a, m, &b);
    for (long k = 0; rc == EXIT_OK && k < a->warmup + a->iters; k++) {
        double t0 = now_s();
        glc_rt_status s = glc_rt_model_run_with(m, (const void *const *)b.in, b.in_dp, b.out,
                                                b.ws, b.ws_size, par);
        double dt = now_s() - t0;
        if (s != GLC_RT_OK) rc = report_file(a->model, "run failed: %s", glc_rt_status_name(s));
        if (k >= a->warmup) t[k - a->warmup] = dt;
    }
    if (rc == EXIT_OK) print_result(a, t, base_mb);
    free(t);
    free_bufs(&b);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    static bench_args a; /* large (the --shape table): not on the stack */
    a = (bench_args){.iters = 20, .warmup = 3, .threads = 0};
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(argc, argv, &i, &a);
        if (rc != EXIT_OK) return rc;
    }
    if (!a.model) return usage_error("'glc bench' needs a compiled model (.so)");
    if (!has_suffix(a.model, ".so"))
        return usage_error("'glc bench' takes a compiled .so; compile '%s' with 'glc' first",
                           a.model);
    char err[1024] = "";
    double base_mb = rss_now_mb();
    glc_rt_model *m = NULL;
    glc_rt_status s = glc_rt_model_open(a.model, a.prefix, &m, err, sizeof err);
    if (s != GLC_RT_OK) return report_file(a.model, "%s", err[0] ? err : glc_rt_status_name(s));
    if (!a.threads) a.threads = (long)glc_rt_default_threads();
    glc_rt_pool *pool = NULL;
    if (a.threads > 1 && glc_rt_pool_create((uint32_t)a.threads, &pool) != GLC_RT_OK) {
        glc_rt_model_close(m);
        return report_file(a.model, "cannot start %ld threads", a.threads);
    }
    int rc = measure(&a, m, glc_rt_pool_parallel(pool), base_mb);
    glc_rt_pool_destroy(pool);
    glc_rt_model_close(m);
    return rc;
}
