/*
 * run.c -- a kernel's compiled models: one per set of input dims, each compiled once into
 * the cache directory ($GLC_ORT_CACHE, else $XDG_CACHE_HOME/glc-ort, else
 * ~/.cache/glc-ort) under a key hashing the one-node model (node, attributes, weights,
 * dims), the CPU, glc's version and ABI. A compile writes a temporary file and renames it
 * into place; an entry that does not load or does not match is rebuilt.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glc_ort.h"

static bool same_dims(const ort_entry *e, const ort_tensor *in, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (in[i].present && !in[i].constant &&
            memcmp(e->dims[i], in[i].dims, (size_t)in[i].rank * sizeof(int64_t)) != 0)
            return false;
    return true;
}

static int mkdirs(char *path) {
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            int r = mkdir(path, 0755);
            *p = '/';
            if (r != 0 && errno != EEXIST)
                return -1;
        }
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static bool cache_dir(char *buf, size_t n) {
    const char *env = getenv("GLC_ORT_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    int w = env && *env ? snprintf(buf, n, "%s", env)
            : xdg && *xdg ? snprintf(buf, n, "%s/glc-ort", xdg)
                          : snprintf(buf, n, "%s/.cache/glc-ort", home ? home : "/tmp");
    return w > 0 && (size_t)w < n && mkdirs(buf) == 0;
}

/* The CPU compiled for: $GLC_DEFAULT_CPU, and the host's model name and feature flags. */
static void hash_cpu(uint64_t h[2], void (*mix)(uint64_t[2], const void *, size_t)) {
    const char *cpu = getenv("GLC_DEFAULT_CPU");
    mix(h, cpu ? cpu : "", cpu ? strlen(cpu) : 0);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[8192];
    int seen = 0;
    while (f && seen < 2 && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) || !strncmp(line, "flags", 5))
            mix(h, line, strlen(line)), seen++;
    if (f)
        fclose(f);
}

/* Two FNV-1a 64 hashes with different offset bases: a 128-bit key. */
static void mix(uint64_t h[2], const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h[0] = (h[0] ^ b[i]) * 0x100000001b3ull;
        h[1] = (h[1] ^ b[i]) * 0x100000001b3ull;
    }
    h[0] = (h[0] ^ 0xff) * 0x100000001b3ull; /* field separator */
    h[1] = (h[1] ^ 0xfe) * 0x100000001b3ull;
}

static void cache_key(const pb_buf *model, char key[33]) {
    uint64_t h[2] = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
    char abi[16];
    snprintf(abi, sizeof abi, "%d", GLC_ABI_VERSION);
    mix(h, model->data, model->len);
    mix(h, glc_compile_version(), strlen(glc_compile_version()));
    mix(h, abi, strlen(abi));
    hash_cpu(h, mix);
    snprintf(key, 33, "%016llx%016llx", (unsigned long long)h[0], (unsigned long long)h[1]);
}

/* Compiles model into path through a temporary file beside it. */
static OrtStatus *compile_into(const ort_kernel *k, const pb_buf *model, const char *path) {
    static unsigned counter;
    static const char name[] = "libglc_ort"; /* glc's messages start "<name>: node '...'" */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%u", path, (long)getpid(),
             __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
    glc_compile_options o = glc_compile_defaults();
    glc_compile_diag d;
    if (glc_compile_bytes(model->data, model->len, name, tmp, &o, &d) != GLC_COMPILE_OK) {
        unlink(tmp);
        bool named = !strncmp(d.message, name, strlen(name)) && d.message[strlen(name)] == ':';
        return glc_ort_status(k->api, ORT_INVALID_ARGUMENT, "%s%s", named ? "" : "libglc_ort: ",
                              d.message);
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: cannot write %s: %s", path,
                              strerror(err));
    }
    return NULL;
}

/* The model must take exactly the non-constant inputs at their dims and give the outputs. */
static bool model_fits(const ort_kernel *k, const glc_model_desc *d, const ort_tensor *in) {
    uint32_t n_in = 0, n_out = 0;
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        if (!in[i].present || in[i].constant)
            continue;
        const glc_tensor_info *t = n_in < d->n_inputs ? &d->inputs[n_in] : NULL;
        if (!t || t->rank != in[i].rank || t->dtype != in[i].dtype ||
            memcmp(t->dims, in[i].dims, (size_t)t->rank * sizeof(int64_t)) != 0)
            return false;
        n_in++;
    }
    for (uint32_t j = 0; j < k->n_outputs; j++)
        n_out += k->out_present[j];
    return d->n_symbols == 0 && n_in == d->n_inputs && n_out == d->n_outputs;
}

/* Opens path as a model for `in`; NULL (and a reason in err) if it does not load or fit. */
static glc_rt_model *open_fitting(const ort_kernel *k, const char *path, const ort_tensor *in,
                                  char *err, size_t errlen) {
    glc_rt_model *m = NULL;
    if (glc_rt_model_open(path, NULL, &m, err, errlen) != GLC_RT_OK)
        return NULL;
    if (model_fits(k, glc_rt_model_desc(m), in))
        return m;
    snprintf(err, errlen, "%s does not take this node's inputs", path);
    glc_rt_model_close(m);
    return NULL;
}

/* The cached model for `model`, compiled first if absent or unusable. */
static OrtStatus *load_or_compile(const ort_kernel *k, const pb_buf *model,
                                  const ort_tensor *in, glc_rt_model **out) {
    char dir[4000], path[4100], key[33], err[512];
    if (!cache_dir(dir, sizeof dir))
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: cannot create the cache directory "
                              "%s (set GLC_ORT_CACHE)", dir);
    cache_key(model, key);
    snprintf(path, sizeof path, "%s/%s.so", dir, key);
    if (access(path, F_OK) == 0 && (*out = open_fitting(k, path, in, err, sizeof err)))
        return NULL;
    OrtStatus *s = compile_into(k, model, path); /* absent, corrupt or stale: (re)build */
    if (s)
        return s;
    if (!(*out = open_fitting(k, path, in, err, sizeof err)))
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: %s", err);
    return NULL;
}

static OrtStatus *new_entry(ort_kernel *k, const ort_tensor *in, ort_entry **out) {
    pb_buf model;
    glc_rt_model *m = NULL;
    if (!glc_ort_build_model(k, in, &model)) {
        pb_free(&model);
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: out of memory");
    }
    OrtStatus *s = load_or_compile(k, &model, in, &m);
    pb_free(&model);
    if (s)
        return s;
    ort_entry *e = calloc(1, sizeof *e);
    if (!e) {
        glc_rt_model_close(m);
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: out of memory");
    }
    e->model = m;
    e->ws_size = glc_rt_model_desc(m)->workspace_size;
    e->ws = e->ws_size ? aligned_alloc(64, (e->ws_size + 63) / 64 * 64) : NULL;
    pthread_mutex_init(&e->ws_lock, NULL);
    for (uint32_t i = 0; i < k->n_inputs; i++)
        memcpy(e->dims[i], in[i].dims, sizeof e->dims[i]);
    e->next = k->entries, k->entries = e;
    *out = e;
    return NULL;
}

OrtStatus *glc_ort_entry_for(ort_kernel *k, const ort_tensor *in, ort_entry **out) {
    pthread_mutex_lock(&k->lock);
    ort_entry *e = k->entries;
    while (e && !same_dims(e, in, k->n_inputs))
        e = e->next;
    OrtStatus *s = e ? NULL : new_entry(k, in, &e);
    pthread_mutex_unlock(&k->lock);
    *out = e;
    return s;
}

void glc_ort_entries_free(ort_kernel *k) {
    while (k->entries) {
        ort_entry *e = k->entries;
        k->entries = e->next;
        glc_rt_model_close(e->model);
        pthread_mutex_destroy(&e->ws_lock);
        free(e->ws);
        free(e);
    }
}

/* ---- the call ------------------------------------------------------------------------- */

/* glc's tasks on ONNX Runtime's intra-op threads (KernelContext_ParallelFor). */
typedef struct ort_parallel {
    glc_parallel par; /* first */
    const OrtApi *api;
    const OrtKernelContext *ctx;
} ort_parallel;
typedef struct ort_task {
    glc_task_fn fn;
    void *closure;
} ort_task;

static void run_task(void *user, size_t t) {
    const ort_task *task = user;
    task->fn(task->closure, (uint32_t)t);
}

static void ort_parallel_run(void *self, uint32_t n_tasks, glc_task_fn fn, void *closure) {
    const ort_parallel *p = self;
    ort_task task = {fn, closure};
    OrtStatus *s = ort_slot(p->api, ORT_SLOT_KERNEL_CONTEXT_PARALLEL_FOR,
                            OrtKernelContextParallelForFn)(p->ctx, run_task, n_tasks, 0, &task);
    if (!s)
        return;
    ort_slot(p->api, ORT_SLOT_RELEASE_STATUS, OrtReleaseFn)(s); /* refused before any task */
    for (uint32_t t = 0; t < n_tasks; t++)
        fn(closure, t);
}

/* $GLC_ORT_THREADS: "glc" (default) glc's own pool (GLC_NUM_THREADS threads, which skips
 * splitting a region that runs no faster split), "ort" ONNX Runtime's intra-op threads
 * through KernelContext_ParallelFor, "1" the calling thread alone. bench/ort_library.py
 * measured W1 at 0.68-0.76x glc's .so with "ort" and 1.0-1.15x with "glc", W4 the other
 * way round (1.12-1.16x against 0.83-0.85x), on a loaded 2-core host (docs/embedding.md). */
static const glc_parallel *choose_parallel(ort_parallel *p) {
    const char *mode = getenv("GLC_ORT_THREADS");
    if (mode && !strcmp(mode, "1"))
        return NULL;
    if (!mode || strcmp(mode, "ort") != 0)
        return glc_rt_parallel_default();
    p->par = (glc_parallel){.self = p, .n_threads = glc_rt_default_threads(),
                            .run = ort_parallel_run};
    return &p->par;
}

static OrtStatus *read_inputs(const ort_kernel *k, OrtKernelContext *ctx, ort_tensor *in) {
    memcpy(in, k->in, sizeof k->in);
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        const OrtValue *v = NULL;
        void *data = NULL;
        if (!in[i].present || in[i].constant)
            continue;
        OrtStatus *s = ort_slot(k->api, ORT_SLOT_KERNEL_CONTEXT_GET_INPUT,
                                OrtKernelContextGetInputFn)(ctx, i, &v);
        if (!s && !v)
            s = glc_ort_status(k->api, ORT_FAIL, "libglc_ort: node '%s': input %u missing",
                               k->node_name, i);
        if (!s)
            s = glc_ort_value_shape(k->api, v, &in[i]);
        if (!s)
            s = ort_slot(k->api, ORT_SLOT_GET_TENSOR_MUTABLE_DATA, OrtGetTensorMutableDataFn)(
                (OrtValue *)v, &data);
        if (s)
            return s;
        in[i].data = data;
    }
    return NULL;
}

static OrtStatus *get_outputs(const ort_kernel *k, OrtKernelContext *ctx,
                              const glc_model_desc *d, void **outs) {
    uint32_t o = 0;
    for (uint32_t j = 0; j < k->n_outputs; j++) {
        OrtValue *v = NULL;
        if (!k->out_present[j])
            continue;
        const glc_tensor_info *t = &d->outputs[o];
        OrtStatus *s = ort_slot(k->api, ORT_SLOT_KERNEL_CONTEXT_GET_OUTPUT,
                                OrtKernelContextGetOutputFn)(ctx, j, t->dims, (size_t)t->rank, &v);
        if (!s)
            s = ort_slot(k->api, ORT_SLOT_GET_TENSOR_MUTABLE_DATA, OrtGetTensorMutableDataFn)(
                v, &outs[o]);
        if (s)
            return s;
        o++;
    }
    return NULL;
}

static glc_rt_status run_model(const ort_kernel *k, const OrtKernelContext *ctx, ort_entry *e,
                               const void *const *ins, void *const *outs) {
    ort_parallel p = {.api = k->api, .ctx = ctx};
    const glc_parallel *par = choose_parallel(&p);
    bool own = e->ws_size && pthread_mutex_trylock(&e->ws_lock) == 0;
    void *ws = own ? e->ws : e->ws_size ? aligned_alloc(64, (e->ws_size + 63) / 64 * 64) : NULL;
    glc_rt_status rs = e->ws_size && !ws
                           ? GLC_RT_E_NOMEM
                           : glc_rt_model_run_with(e->model, ins, NULL, outs, ws, e->ws_size, par);
    if (own)
        pthread_mutex_unlock(&e->ws_lock);
    else
        free(ws);
    return rs;
}

OrtStatus *glc_ort_kernel_compute(void *kernel, OrtKernelContext *ctx) {
    ort_kernel *k = kernel;
    ort_tensor in[GLC_ORT_MAX_IO];
    const void *ins[GLC_ORT_MAX_IO];
    void *outs[GLC_ORT_MAX_IO];
    ort_entry *e = NULL;
    uint32_t n_in = 0;
    OrtStatus *s = read_inputs(k, ctx, in);
    if (!s)
        s = glc_ort_entry_for(k, in, &e);
    if (!s)
        s = get_outputs(k, ctx, glc_rt_model_desc(e->model), outs);
    if (s)
        return s;
    for (uint32_t i = 0; i < k->n_inputs; i++)
        if (in[i].present && !in[i].constant)
            ins[n_in++] = in[i].data;
    glc_rt_status rs = run_model(k, ctx, e, ins, outs);
    if (rs != GLC_RT_OK)
        return glc_ort_status(k->api, ORT_FAIL, "libglc_ort: node '%s' (%s): the compiled model "
                              "failed: %s", k->node_name, k->op->name, glc_rt_status_name(rs));
    return NULL;
}
