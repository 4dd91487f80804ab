/*
 * glc_timer.c -- times one call of a glc model's <prefix>_invoke_with in C, for the
 * harness's "glc-c" system (bench/harness.py): the same compiled model as "glc", with no
 * Python in the timed region, as the "ort-c" peer times ONNX Runtime's Run.
 * Built into a shared library with the system's cc and called through ctypes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <time.h>

typedef int (*invoke_with_fn)(const void *const *inputs, const int64_t *const *input_dims,
                              void *const *outputs, void *workspace, uint64_t workspace_size,
                              const void *par);

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* `primers` untimed calls, then one timed: its seconds, or minus the status of a call that failed. */
double glc_timer_call(void *fn, const void *const *inputs, const int64_t *const *dims,
                      void *const *outputs, void *ws, uint64_t ws_size, const void *par,
                      int primers) {
    invoke_with_fn f = (invoke_with_fn)fn;
    for (int k = 0; k < primers; k++)
        {
        int st = f(inputs, dims, outputs, ws, ws_size, par);
        if (st) return -(double)st;
    }
    double t0 = now_s();
    int st = f(inputs, dims, outputs, ws, ws_size, par);
    double t = now_s() - t0;
    return st ? -(double)st : t;
}
