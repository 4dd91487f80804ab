/*
 * driver.c -- a generic C program around one model compiled by glc with --name=m (an
 * object or archive plus its --emit=header m.h), built by tests/cross/test_cross.py with a
 * cross compiler and run under an emulator (qemu-aarch64).
 *
 *   driver IN_DIR OUT_DIR
 * reads IN_DIR/input_<i>.bin (raw little-endian bytes, m_describe()'s size_bytes each, in
 * ABI order), runs the model three times: m_invoke (on the default thread pool:
 * runtime/pool.c, cross-compiled and linked in; GLC_NUM_THREADS threads), m_invoke_with on
 * a pool of its own behind a glc_parallel that counts the parallel regions and tasks, and
 * m_invoke_with(..., NULL) (the calling thread alone); fails unless all three give the same
 * bytes (results do not depend on the thread count), and writes OUT_DIR/output_<i>.bin. It also
 * checks that m.h agrees with m_describe() (ABI version, workspace size) and that a short workspace
 * is an error code. Exit status: 0 ok, 1 a failure (one line on stderr), 2 usage.
 */
#include "m.h"

#include "glc_runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

glc_rt_status m_invoke_with(const void *const *inputs, const int64_t *const *input_dims,
                            void *const *outputs, void *workspace, uint64_t workspace_size,
                            const glc_parallel *par);

/* The counting glc_parallel: forwards to the pool in self. */
static unsigned n_regions, n_tasks;

static void counted_run(void *self, uint32_t tasks, glc_task_fn fn, void *closure) {
    const glc_parallel *pool = self;
    n_regions++;
    n_tasks += tasks;
    pool->run(pool->self, tasks, fn, closure);
}

static int fail(const char *what, const char *detail) {
    fprintf(stderr, "driver: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

/* A buffer of n bytes (at least 1), 64-byte aligned, filled with 0xA5 so a byte the model
 * forgets to write shows up as a difference between the two runs' outputs. */
static void *alloc64(uint64_t n) {
    size_t sz = (size_t)((n + 63) / 64 * 64);
    void *p = aligned_alloc(64, sz ? sz : 64);
    if (p) memset(p, 0xA5, sz ? sz : 64);
    return p;
}

static int file_io(const char *dir, const char *kind, uint32_t i, void *buf, uint64_t n,
                   int write) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%u.bin", dir, kind, (unsigned)i);
    FILE *f = fopen(path, write ? "wb" : "rb");
    size_t got = 0;
    if (f) got = write ? fwrite(buf, 1, (size_t)n, f) : fread(buf, 1, (size_t)n, f);
    if (f && fclose(f) != 0) got = 0;
    if (!write && f) { /* the file must hold exactly n bytes */
        f = fopen(path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0 && ftell(f) != (long)n) got = 0;
        if (f) fclose(f);
    }
    return got == n ? 0 : fail(write ? "cannot write" : "missing or wrong size", path);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: driver IN_DIR OUT_DIR\n");
        return 2;
    }
    const glc_model_desc *d = m_describe();
    if (d->abi_version != GLC_ABI_VERSION || d->abi_version != M_ABI_VERSION)
        return fail("ABI version differs between the object, m.h and glc_runtime.h", NULL);
    if (d->workspace_size != M_WORKSPACE_SIZE)
        return fail("m.h's workspace size differs from m_describe()'s", NULL);
    void **in = calloc(d->n_inputs + 1, sizeof *in);
    void **out = calloc(d->n_outputs + 1, sizeof *out);
    void **ref = calloc(d->n_outputs + 1, sizeof *ref);
    void *ws = alloc64(d->workspace_size);
    if (!in || !out || !ref || !ws) return fail("out of memory", NULL);
    for (uint32_t i = 0; i < d->n_inputs; i++) {
        if (!(in[i] = alloc64(d->inputs[i].size_bytes))) return fail("out of memory", NULL);
        if (file_io(argv[1], "input", i, in[i], d->inputs[i].size_bytes, 0)) return 1;
    }
    for (uint32_t i = 0; i < d->n_outputs; i++)
        if (!(out[i] = alloc64(d->outputs[i].size_bytes)) ||
            !(ref[i] = alloc64(d->outputs[i].size_bytes)))
            return fail("out of memory", NULL);
    const void *const *cin = (const void *const *)in;
    if (m_invoke(cin, NULL, out, ws, d->workspace_size) != M_OK) return fail("m_invoke failed", NULL);
    glc_rt_pool *pool = NULL;
    if (glc_rt_pool_create(3, &pool) != GLC_RT_OK) return fail("cannot start a pool", NULL);
    glc_parallel counted = {
        .self = (void *)glc_rt_pool_parallel(pool), .n_threads = 3, .run = counted_run};
    const glc_parallel *runs[2] = {&counted, NULL};
    for (int r = 0; r < 2; r++) {
        for (uint32_t i = 0; i < d->n_outputs; i++) /* nothing left from the run before */
            memset(ref[i], 0xA5, (size_t)d->outputs[i].size_bytes);
        if (m_invoke_with(cin, NULL, ref, ws, d->workspace_size, runs[r]) != GLC_RT_OK)
            return fail("m_invoke_with failed", r ? "calling thread" : "own pool");
        for (uint32_t i = 0; i < d->n_outputs; i++)
            if (memcmp(out[i], ref[i], (size_t)d->outputs[i].size_bytes) != 0)
                return fail(r ? "the default pool's and the calling thread's outputs differ"
                              : "the default pool's and another pool's outputs differ",
                            d->outputs[i].name);
    }
    glc_rt_pool_destroy(pool);
    if (d->workspace_size && m_invoke(cin, NULL, out, ws, d->workspace_size - 1) != M_E_WORKSPACE)
        return fail("a short workspace was not refused", NULL);
    for (uint32_t i = 0; i < d->n_outputs; i++)
        if (file_io(argv[2], "output", i, out[i], d->outputs[i].size_bytes, 1)) return 1;
    const glc_parallel *par = glc_rt_parallel_default();
    printf("driver: %s: %u inputs, %u outputs, workspace %llu bytes, default pool %u threads, "
           "%u parallel regions of %u tasks\n",
           d->model_name, (unsigned)d->n_inputs, (unsigned)d->n_outputs,
           (unsigned long long)d->workspace_size, par ? (unsigned)par->n_threads : 1u, n_regions,
           n_tasks);
    return 0;
}
