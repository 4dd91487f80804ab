/*
 * fma_peak.c -- the machine's fp32 FMA peak, measured: the denominator of every
 * "fraction of peak" in BENCHMARKS.md.
 *
 * Each thread runs a loop of independent fused multiply-adds on `NACC` vector
 * accumulators (enough independent chains to cover FMA latency x throughput on Zen 4/5:
 * 4-cycle latency, 2 FMA pipes -> >= 8 chains; we use 12), with 512-bit vectors when the
 * compiler targets AVX-512 and 256-bit otherwise. FLOPs = 2 x lanes x NACC x iterations.
 * Prints one JSON object: {"gflops_1thread": ..., "gflops_all": ..., "threads": N,
 * "vector_bits": 512}. The best of 5 repetitions is kept (peak, not typical).
 *
 * The machine is shared, so a thread is timed in short bursts (BURST iterations, about
 * 0.1-0.3 ms; BURSTS of them back to back, the clock already at its sustained speed) and
 * its best burst is its rate: a long loop would be charged for the time slices other
 * processes take (under a load of 7 on 2 cores one 20M-iteration loop measured 60 instead
 * of 122 GFLOP/s with 256-bit FMAs on Zen 5). N threads run their bursts at the same
 * time; the N-thread peak is the sum of their best bursts.
 *
 * On Zen 4, which splits 512-bit FMAs in two, 256-bit FMAs reach the same rate; on Zen 5
 * (2 x 512-bit FMA pipes) they reach half of it: build with -mavx2 -mfma (run.py --cpu
 * x86-64-v3: -march=x86-64-v3) for the AVX2 code's denominator.
 *
 *   cc -O2 -march=native -pthread fma_peak.c -o fma_peak && ./fma_peak [THREADS]
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NACC 12
#define BURST 20000L /* iterations of one timed burst */
#define BURSTS 1000  /* bursts per thread and repetition */

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VSUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define LANES 8
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
static float vsum256(__m256 v) {
    float t[8];
    _mm256_storeu_ps(t, v);
    return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#define VSUM(v) vsum256(v)
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* BURSTS timed bursts of BURST steps of NACC independent FMAs; *(double *)arg gets the
 * best burst's GFLOP/s. The accumulators are named variables so that they live in
 * registers at any -O level; their sum is kept so nothing is dead. */
static void *spin(void *arg) {
    vec m = VSET1(0.999999f), a = VSET1(1e-7f);
    vec c0 = VSET1(0), c1 = VSET1(1), c2 = VSET1(2), c3 = VSET1(3), c4 = VSET1(4), c5 = VSET1(5);
    vec c6 = VSET1(6), c7 = VSET1(7), c8 = VSET1(8), c9 = VSET1(9), c10 = VSET1(10), c11 = VSET1(11);
    double best = 0;
    for (int b = 0; b < BURSTS; b++) {
        double t0 = now_s();
        for (long i = 0; i < BURST; i++) {
            c0 = VFMA(c0, m, a), c1 = VFMA(c1, m, a), c2 = VFMA(c2, m, a), c3 = VFMA(c3, m, a);
            c4 = VFMA(c4, m, a), c5 = VFMA(c5, m, a), c6 = VFMA(c6, m, a), c7 = VFMA(c7, m, a);
            c8 = VFMA(c8, m, a), c9 = VFMA(c9, m, a), c10 = VFMA(c10, m, a), c11 = VFMA(c11, m, a);
        }
        double g = 2.0 * LANES * NACC * (double)BURST / (now_s() - t0) / 1e9;
        if (g > best) best = g;
    }
    volatile float keep = VSUM(c0) + VSUM(c1) + VSUM(c2) + VSUM(c3) + VSUM(c4) + VSUM(c5) +
                          VSUM(c6) + VSUM(c7) + VSUM(c8) + VSUM(c9) + VSUM(c10) + VSUM(c11);
    (void)keep;
    *(double *)arg = best;
    return NULL;
}

/* n threads bursting at the same time: the sum of their best bursts. */
static double run_threads(int n) {
    pthread_t th[64];
    double rate[64];
    for (int i = 0; i < n; i++) pthread_create(&th[i], NULL, spin, &rate[i]);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        sum += rate[i];
    }
    return sum;
}

static double best_of(int n, int reps) {
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double g = run_threads(n);
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = argc > 1 ? atoi(argv[1]) : (int)cores;
    if (n < 1 || n > 64) n = 1;
    double one = best_of(1, 5), all = best_of(n, 5);
    printf("{\"gflops_1thread\": %.1f, \"gflops_all\": %.1f, \"threads\": %d, \"vector_bits\": %d}\n",
           one, all, n, LANES * 32);
    return 0;
}
