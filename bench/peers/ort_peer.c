/*
 * ort_peer.c -- ONNX Runtime called from C: the benchmark's "ort-c" peer (issue 23).
 *
 *   ort_peer --lib LIBONNXRUNTIME.so --model M.onnx [--threads N]
 *            --input NAME=FILE:D0xD1x..  (float32, raw; FILE "-": zeros)   ...
 *            --output NAME:D0xD1x..  ...   [--feed OUT=IN ...]
 *            (--iters N [--warmup W] | --serve)
 *
 * Opens the wheel's libonnxruntime.so with dlopen (no link-time dependency; ort_abi.h
 * names the calls), makes one session as the Python peer does (CPU provider, intra-op
 * threads N, inter-op 1, sequential execution, every graph optimisation), wraps the inputs
 * and preallocated outputs in OrtValues once, and times each Run alone (CLOCK_MONOTONIC):
 * what a C program embedding ONNX Runtime pays per call, with no Python.
 *
 * --feed OUT=IN streams: output OUT of one call is input IN of the next (a recurrence's
 * state fed back). The two share a pair of buffers, read from one and written to the
 * other, swapped each call: no copy, as a careful embedder would do it. IN starts from its
 * --input file (or zeros).
 *
 * --iters N: W untimed calls, then N timed ones; prints one JSON line with the fields of
 * the harness's records: {"median_s", "p99_s", "min_s", "max_s", "timed_calls"}.
 * --serve: reads commands from stdin, one a line, so that the harness can alternate it
 * with the other systems call by call:
 *   time K P    K timed calls, each after P untimed ones; prints the K times (s) on a line
 *   dump FILE   writes every output of the last call, in --output order, raw float32
 *   quit
 * Bad arguments or a failing ONNX Runtime call: one line on stderr, exit status 2.
 */
#define _POSIX_C_SOURCE 200809L
#include "ort_abi.h"

#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TENSORS 32
#define MAX_RANK 8

typedef struct tensor {
    const char *name;
    int64_t dims[MAX_RANK];
    size_t rank, count;
    float *buf[2];     /* the buffer a call of parity p reads (inputs) or writes (outputs) */
    OrtValue *val[2];
} tensor;

typedef struct peer {
    const ort_fn *api; /* the OrtApi table */
    OrtEnv *env;
    OrtSession *session;
    OrtMemoryInfo *cpu;
    tensor in[MAX_TENSORS], out[MAX_TENSORS];
    int n_in, n_out;
    int feed_in[MAX_TENSORS]; /* per output: the input it feeds, or -1 */
    const char *in_names[MAX_TENSORS], *out_names[MAX_TENSORS];
    int parity;
} peer;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("ort_peer: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

#define SLOT(p, type, slot) ((type)(p)->api[slot])

static void check(const peer *p, OrtStatus *st, const char *what) {
    if (!st) return;
    const char *msg = SLOT(p, OrtGetErrorMessageFn, ORT_SLOT_GET_ERROR_MESSAGE)(st);
    die("%s: %s", what, msg);
}

static void load_api(peer *p, const char *lib) {
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h) die("cannot open %s: %s", lib, dlerror());
    const OrtApiBase *(*base)(void);
    *(void **)&base = dlsym(h, "OrtGetApiBase"); /* POSIX's way to take a function */
    if (!base) die("%s has no OrtGetApiBase", lib);
    p->api = base()->GetApi(ORT_PEER_API_VERSION);
    if (!p->api) die("%s does not offer C API version %u", lib, ORT_PEER_API_VERSION);
}

static void make_session(peer *p, const char *model, int threads) {
    OrtSessionOptions *so = NULL;
    check(p, SLOT(p, OrtCreateEnvFn, ORT_SLOT_CREATE_ENV)(ORT_LOGGING_LEVEL_ERROR, "ort_peer",
                                                         &p->env), "CreateEnv");
    check(p, SLOT(p, OrtCreateSessionOptionsFn, ORT_SLOT_CREATE_SESSION_OPTIONS)(&so),
          "CreateSessionOptions");
    check(p, SLOT(p, OrtSetIntFn, ORT_SLOT_SET_INTRA_OP_THREADS)(so, threads),
          "SetIntraOpNumThreads");
    check(p, SLOT(p, OrtSetIntFn, ORT_SLOT_SET_INTER_OP_THREADS)(so, 1), "SetInterOpNumThreads");
    check(p, SLOT(p, OrtSetIntFn, ORT_SLOT_SET_EXECUTION_MODE)(so, ORT_SEQUENTIAL),
          "SetSessionExecutionMode");
    check(p, SLOT(p, OrtSetIntFn, ORT_SLOT_SET_GRAPH_OPTIMIZATION_LEVEL)(so, ORT_ENABLE_ALL),
          "SetSessionGraphOptimizationLevel");
    check(p, SLOT(p, OrtCreateSessionFn, ORT_SLOT_CREATE_SESSION)(p->env, model, so, &p->session),
          model);
    SLOT(p, OrtReleaseFn, ORT_SLOT_RELEASE_SESSION_OPTIONS)(so);
    check(p, SLOT(p, OrtCreateCpuMemoryInfoFn, ORT_SLOT_CREATE_CPU_MEMORY_INFO)(
                 ORT_ARENA_ALLOCATOR, ORT_MEM_TYPE_DEFAULT, &p->cpu), "CreateCpuMemoryInfo");
}

/* "D0xD1x.." into t->dims; a scalar is "" (rank 0). */
static void parse_dims(tensor *t, const char *s, const char *arg) {
    t->rank = 0;
    t->count = 1;
    while (*s) {
        char *end;
        long long d = strtoll(s, &end, 10);
        if (end == s || d < 0 || t->rank == MAX_RANK || (*end && *end != 'x'))
            die("bad dims in '%s' (want D0xD1x..., at most %d)", arg, MAX_RANK);
        t->dims[t->rank++] = d;
        t->count *= (size_t)d;
        s = *end ? end + 1 : end;
    }
}

static float *alloc_floats(size_t n) {
    float *b = aligned_alloc(64, ((n * sizeof(float)) / 64 + 1) * 64);
    if (!b) die("out of memory");
    memset(b, 0, n * sizeof(float));
    return b;
}

static void read_floats(float *dst, size_t n, const char *path) {
    if (!strcmp(path, "-")) return; /* zeros */
    FILE *f = fopen(path, "rb");
    if (!f) die("cannot read %s", path);
    size_t got = fread(dst, sizeof(float), n, f);
    int extra = fgetc(f);
    fclose(f);
    if (got != n || extra != EOF) die("%s: want exactly %zu float32 values", path, n);
}

/* NAME=FILE:DIMS */
static void add_input(peer *p, char *arg) {
    if (p->n_in == MAX_TENSORS) die("more than %d inputs", MAX_TENSORS);
    char *eq = strchr(arg, '='), *colon = eq ? strrchr(eq, ':') : NULL;
    if (!eq || !colon) die("--input wants NAME=FILE:D0xD1x.., got '%s'", arg);
    tensor *t = &p->in[p->n_in++];
    *eq = *colon = 0;
    t->name = arg;
    parse_dims(t, colon + 1, arg);
    t->buf[0] = t->buf[1] = alloc_floats(t->count);
    read_floats(t->buf[0], t->count, eq + 1);
}

/* NAME:DIMS */
static void add_output(peer *p, char *arg) {
    if (p->n_out == MAX_TENSORS) die("more than %d outputs", MAX_TENSORS);
    char *colon = strrchr(arg, ':');
    if (!colon) die("--output wants NAME:D0xD1x.., got '%s'", arg);
    tensor *t = &p->out[p->n_out];
    *colon = 0;
    t->name = arg;
    parse_dims(t, colon + 1, arg);
    t->buf[0] = t->buf[1] = alloc_floats(t->count);
    p->feed_in[p->n_out++] = -1;
}

static int find(const tensor *ts, int n, const char *name) {
    for (int k = 0; k < n; k++)
        if (!strcmp(ts[k].name, name)) return k;
    return -1;
}

/* OUT=IN: IN reads buf[p] on a call of parity p, OUT writes buf[1 - p]. */
static void add_feed(peer *p, char *arg) {
    char *eq = strchr(arg, '=');
    if (!eq) die("--feed wants OUT=IN, got '%s'", arg);
    *eq = 0;
    int o = find(p->out, p->n_out, arg), i = find(p->in, p->n_in, eq + 1);
    if (o < 0 || i < 0) die("--feed %s=%s: give both with --output and --input first", arg, eq + 1);
    if (p->out[o].count != p->in[i].count) die("--feed %s=%s: sizes differ", arg, eq + 1);
    tensor *in = &p->in[i], *out = &p->out[o];
    free(out->buf[0]);
    in->buf[1] = alloc_floats(in->count);
    out->buf[0] = in->buf[1];
    out->buf[1] = in->buf[0];
    p->feed_in[o] = i;
}

static void wrap(peer *p, tensor *t) {
    for (int k = 0; k < 2; k++) {
        if (k == 1 && t->buf[1] == t->buf[0]) {
            t->val[1] = t->val[0];
            break;
        }
        check(p, SLOT(p, OrtCreateTensorWithDataFn, ORT_SLOT_CREATE_TENSOR_WITH_DATA)(
                     p->cpu, t->buf[k], t->count * sizeof(float), t->dims, t->rank,
                     ORT_TENSOR_FLOAT, &t->val[k]), t->name);
    }
}

static void run_once(peer *p) {
    const OrtValue *in[MAX_TENSORS];
    OrtValue *out[MAX_TENSORS];
    for (int k = 0; k < p->n_in; k++)
        in[k] = p->in[k].val[p->parity];
    for (int k = 0; k < p->n_out; k++)
        out[k] = p->out[k].val[p->parity];
    check(p, SLOT(p, OrtRunFn, ORT_SLOT_RUN)(p->session, NULL, p->in_names, in, (size_t)p->n_in,
                                             p->out_names, (size_t)p->n_out, out), "Run");
    p->parity ^= 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double timed_call(peer *p, long primers) {
    for (long k = 0; k < primers; k++)
        run_once(p);
    double t0 = now_s();
    run_once(p);
    return now_s() - t0;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's percentile (linear interpolation) of sorted t[0..n) */
static double percentile(const double *t, long n, double q) {
    double pos = q / 100.0 * (double)(n - 1);
    long lo = (long)floor(pos);
    if (lo + 1 >= n) return t[n - 1];
    return t[lo] + (pos - (double)lo) * (t[lo + 1] - t[lo]);
}

static void bench(peer *p, long warmup, long iters) {
    double *t = malloc((size_t)iters * sizeof *t);
    if (!t) die("out of memory");
    for (long k = 0; k < warmup; k++)
        run_once(p);
    for (long k = 0; k < iters; k++)
        t[k] = timed_call(p, 0);
    qsort(t, (size_t)iters, sizeof *t, by_value);
    printf("{\"median_s\": %.9g, \"p99_s\": %.9g, \"min_s\": %.9g, \"max_s\": %.9g, "
           "\"timed_calls\": %ld}\n", percentile(t, iters, 50), percentile(t, iters, 99), t[0],
           t[iters - 1], iters);
    free(t);
}

/* The outputs of the last call: written by the call of parity p ^ 1, into val[p ^ 1]. */
static void dump(peer *p, const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) die("cannot write %s", path);
    for (int k = 0; k < p->n_out; k++) {
        const tensor *t = &p->out[k];
        fwrite(t->buf[p->parity ^ 1], sizeof(float), t->count, f);
    }
    if (fclose(f) != 0) die("cannot write %s", path);
}

static void serve(peer *p) {
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        long k, primers;
        char path[4000];
        if (sscanf(line, "time %ld %ld", &k, &primers) == 2 && k > 0 && primers >= 0) {
            for (long j = 0; j < k; j++)
                printf("%s%.9g", j ? " " : "", timed_call(p, primers));
            printf("\n");
        } else if (sscanf(line, "dump %3999s", path) == 1) {
            dump(p, path);
            printf("ok\n");
        } else if (!strncmp(line, "quit", 4)) {
            return;
        } else {
            die("unknown command: %s", line);
        }
        fflush(stdout);
    }
}

static long parse_long(const char *flag, const char *v, long lo) {
    char *end;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || *end || x < lo) die("%s wants an integer >= %ld", flag, lo);
    return x;
}

int main(int argc, char **argv) {
    static peer p;
    const char *lib = NULL, *model = NULL;
    long threads = 1, iters = 0, warmup = 10;
    int serving = 0;
    char *feeds[MAX_TENSORS];
    int n_feeds = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--serve")) { serving = 1; continue; }
        if (!v) die("%s wants a value (see the comment at the top of ort_peer.c)", a);
        i++;
        if (!strcmp(a, "--lib")) lib = v;
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--threads")) threads = parse_long(a, v, 1);
        else if (!strcmp(a, "--iters")) iters = parse_long(a, v, 1);
        else if (!strcmp(a, "--warmup")) warmup = parse_long(a, v, 0);
        else if (!strcmp(a, "--input")) add_input(&p, argv[i]);
        else if (!strcmp(a, "--output")) add_output(&p, argv[i]);
        else if (!strcmp(a, "--feed") && n_feeds < MAX_TENSORS) feeds[n_feeds++] = argv[i];
        else die("unknown or repeated argument %s", a);
    }
    if (!lib || !model || !p.n_out || (!iters && !serving))
        die("needs --lib, --model, --output and --iters or --serve");
    for (int k = 0; k < n_feeds; k++)
        add_feed(&p, feeds[k]);
    load_api(&p, lib);
    make_session(&p, model, (int)threads);
    for (int k = 0; k < p.n_in; k++) {
        wrap(&p, &p.in[k]);
        p.in_names[k] = p.in[k].name;
    }
    for (int k = 0; k < p.n_out; k++) {
        wrap(&p, &p.out[k]);
        p.out_names[k] = p.out[k].name;
    }
    if (serving) serve(&p);
    else bench(&p, warmup, iters);
    return 0;
}
