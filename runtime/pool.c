/*
 * pool.c -- the thread pool a compiled model runs its parallel loops on (glc_parallel).
 *
 * One pool is n threads: the caller of run() and n - 1 workers. run(n_tasks, fn, closure)
 * opens a job (a new generation), wakes sleeping workers and claims tasks itself from a
 * shared counter, as every worker that joins does; once all tasks have finished it closes
 * the job and waits only for the workers that joined it to leave. A worker joins by
 * counting itself active and then checking that the job it saw is still open, so a worker
 * that wakes late (descheduled: the machine is shared) never holds up a job it took no
 * task of, and never reads a job's fields after they were rewritten. Workers spin on the
 * generation for at most GLC_POOL_SPIN_NS between jobs (a recurrence dispatches one every
 * few microseconds), less if the spin itself gets preempted (the core is wanted by other
 * work), then sleep on a futex. One job at a time: a caller that finds the pool busy
 * (another thread inside run()) runs its tasks alone, so any number of threads may share a
 * pool.
 *
 * Whether a job is worth splitting at all is measured, per region (its task function and
 * task count): see choose_split(). A region under 0.5 ms that splitting does not speed up
 * (small, or on a machine whose cores are busy with other work) runs on the caller alone,
 * so the model does not wait on a worker that is not running (issue 23 measured W6 at batch 1 going from 1.6 to 4.7 ms
 * median on 2 threads under a competing busy process, on a pool that always split).
 *
 * glc_rt_parallel_default() is the process's pool that a model's <prefix>_invoke uses:
 * made at the first call with GLC_NUM_THREADS threads (default: the CPUs this process
 * may run on), stopped when its shared object is unloaded or the process exits; NULL when
 * that is one thread or the pool cannot start. The driver links a copy of this file into
 * every shared object it writes (loaded RTLD_LOCAL, each has its own default pool, and
 * exports glc_rt_pool_* to its users, e.g. the Python package) and into static archives;
 * libglc_runtime.a has it too.
 *
 * Depends on libc (pthreads, C11 atomics) and Linux's futex.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getaffinity */
#endif
#include "glc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GLC_POOL_SPIN_NS 200000     /* 0.2 ms */
#define GLC_POOL_PREEMPTED_NS 50000 /* a gap this long in the spin: the core is wanted */
#define GLC_POOL_MAX_THREADS 1024

/* The split-or-alone policy (choose_split) */
#define GLC_POOL_REGIONS 256   /* regions measured per pool (more: split, unmeasured) */
#define GLC_POOL_PROBE 8       /* slots searched for a region */
#define GLC_POOL_TRY_JOBS 4    /* jobs of one try of the other way; the first is not timed */
#define GLC_POOL_ALWAYS_SPLIT_NS 500000 /* regions this long alone always split */
#define GLC_POOL_EXPLORE_MIN 16
#define GLC_POOL_EXPLORE_MAX 1024

typedef struct pool_region {
    glc_task_fn fn; /* NULL: a free slot */
    uint32_t n_tasks;
    bool chose_split;     /* the way chosen when the current try began */
    uint32_t trying;      /* jobs left in a try of the other way; 0: none */
    uint32_t since_try;   /* jobs since the last try */
    uint32_t explore;     /* jobs between tries */
    uint64_t ns[2];       /* mean time of a job run alone [0] or split [1]; 0: unmeasured */
} pool_region;

struct glc_rt_pool {
    glc_parallel par; /* first: a glc_rt_pool * is a glc_parallel * */
    uint32_t n_threads;
    pthread_t *workers;
    pthread_mutex_t busy; /* held by the caller inside run() */
    atomic_uint_fast64_t generation;
    atomic_uint sleeping;
    atomic_uint_fast64_t open; /* generation of the job tasks may be claimed from; 0: none */
    atomic_uint active;        /* workers inside a job (joined, not yet left) */
    atomic_uint next_task;
    atomic_uint tasks_done;
    atomic_int stop;
    atomic_uint wake_word;     /* the futex sleepers wait on: bumped by every publish */
    glc_task_fn fn; /* the current job: written before its generation is published */
    void *closure;
    uint32_t n_tasks;
    pool_region regions[GLC_POOL_REGIONS]; /* used under busy only */
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void claim_tasks(struct glc_rt_pool *p) {
    for (;;) {
        unsigned t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
        if (t >= p->n_tasks) return;
        p->fn(p->closure, t);
        atomic_fetch_add_explicit(&p->tasks_done, 1, memory_order_release);
    }
}

static void futex_wait(atomic_uint *word, unsigned seen) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake_all(atomic_uint *word) {
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Spins for at most GLC_POOL_SPIN_NS (less once the spin was preempted: a busy core is
 * better left to whoever wants it), then sleeps, until the generation differs from seen;
 * returns it. */
static uint64_t await_job(struct glc_rt_pool *p, uint64_t seen) {
    uint64_t g, t0 = now_ns(), last = t0;
    for (unsigned i = 0;; i++) {
        if ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) != seen) return g;
        cpu_relax();
        if ((i & 255) != 255) continue;
        uint64_t t = now_ns();
        if (t - t0 > GLC_POOL_SPIN_NS || t - last > GLC_POOL_PREEMPTED_NS) break;
        last = t;
    }
    atomic_fetch_add(&p->sleeping, 1); /* seq_cst: pairs with publish() */
    for (;;) {
        unsigned word = atomic_load(&p->wake_word);
        if ((g = atomic_load(&p->generation)) != seen) break;
        futex_wait(&p->wake_word, word); /* returns at once if a publish bumped the word */
    }
    atomic_fetch_sub(&p->sleeping, 1);
    return g;
}

static void *worker_main(void *arg) {
    struct glc_rt_pool *p = arg;
    uint64_t seen = 0;
    for (;;) {
        seen = await_job(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) return NULL;
        atomic_fetch_add(&p->active, 1); /* seq_cst: pairs with run()'s close */
        if (atomic_load(&p->open) == seen) claim_tasks(p);
        atomic_fetch_sub_explicit(&p->active, 1, memory_order_release);
    }
}

static void run_alone(uint32_t n_tasks, glc_task_fn fn, void *closure) {
    for (uint32_t t = 0; t < n_tasks; t++)
        fn(closure, t);
}

/* Publishes a new generation (a job, or stop) and wakes the sleepers. A sleeper counts
 * itself, reads the wake word, then the generation: if it saw the old generation, this
 * bump of the word comes after its read, so either its futex_wait returns at once or the
 * wake below (it is counted by then) reaches it. */
static void publish(struct glc_rt_pool *p) {
    atomic_fetch_add(&p->generation, 1); /* seq_cst */
    atomic_fetch_add(&p->wake_word, 1);
    if (atomic_load(&p->sleeping)) futex_wake_all(&p->wake_word);
}

/* The job on every thread of the pool; the caller holds busy. */
static void run_split(struct glc_rt_pool *p, uint32_t n_tasks, glc_task_fn fn, void *closure) {
    p->fn = fn;
    p->closure = closure;
    p->n_tasks = n_tasks;
    atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&p->tasks_done, 0, memory_order_relaxed);
    uint64_t g = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->open, g, memory_order_release);
    publish(p);
    claim_tasks(p);
    for (unsigned i = 0; atomic_load_explicit(&p->tasks_done, memory_order_acquire) < n_tasks;
         i++) {
        cpu_relax();
        if ((i & 1023) == 1023) sched_yield(); /* a worker with a task was preempted */
    }
    atomic_store(&p->open, 0); /* seq_cst: a worker joining from now on sees it closed */
    for (unsigned i = 0; atomic_load_explicit(&p->active, memory_order_acquire); i++) {
        cpu_relax();
        if ((i & 1023) == 1023) sched_yield(); /* a worker inside was preempted */
    }
}

/* The region's slot (found or claimed), or NULL when the probed slots are all taken. */
static pool_region *region_of(struct glc_rt_pool *p, glc_task_fn fn, uint32_t n_tasks) {
    uintptr_t h = ((uintptr_t)fn >> 4) * 0x9E3779B97F4A7C15u + n_tasks;
    for (unsigned k = 0; k < GLC_POOL_PROBE; k++) {
        pool_region *r = &p->regions[(h + k) % GLC_POOL_REGIONS];
        if (r->fn == fn && r->n_tasks == n_tasks) return r;
        if (!r->fn) {
            *r = (pool_region){.fn = fn, .n_tasks = n_tasks, .explore = GLC_POOL_EXPLORE_MIN};
            return r;
        }
    }
    return NULL;
}

static bool split_is_faster(const pool_region *r) {
    return r->ns[1] * 8 < r->ns[0] * 7; /* by 1/8 at least: a tie stays on the caller */
}

/* Split this job of region r? A region's first job runs alone; one that takes at least
 * GLC_POOL_ALWAYS_SPLIT_NS alone always splits (the hand-off is nothing next to it, and
 * large batches keep the parallel path they had). A smaller one tries GLC_POOL_TRY_JOBS
 * split jobs (the first wakes the workers and is not timed), then runs each job the way
 * whose mean time (exponentially weighted, 1/4 for the newest job) is lower; every
 * r->explore jobs a try of the other way refreshes that way's mean: r->explore doubles (up
 * to GLC_POOL_EXPLORE_MAX) while tries leave the choice as it was and drops back to
 * GLC_POOL_EXPLORE_MIN when one changes it. A split job that waited for a preempted
 * worker counts its whole time, so on a machine whose cores are busy with other work
 * small regions go back to the caller, and return to splitting when it pays again. */
static bool choose_split(pool_region *r) {
    if (!r) return true; /* unmeasured: as the model asked */
    if (!r->ns[0]) return false;
    if (r->ns[0] >= GLC_POOL_ALWAYS_SPLIT_NS) return true;
    if (!r->trying && (!r->ns[1] || ++r->since_try >= r->explore)) {
        r->trying = GLC_POOL_TRY_JOBS;
        r->since_try = 0;
        r->chose_split = r->ns[1] && split_is_faster(r);
    }
    return r->trying ? !r->chose_split : split_is_faster(r);
}

static void record(pool_region *r, bool split, uint64_t ns) {
    if (!r) return;
    uint64_t *mean = &r->ns[split];
    /* a job alone that took over twice its mean: the caller itself was preempted, which
     * would have delayed a split job as much; not the region's cost */
    if (!split && *mean && ns > 2 * *mean) ns = 2 * *mean;
    if (r->trying != GLC_POOL_TRY_JOBS) *mean = *mean ? (3 * *mean + ns) / 4 : ns | 1;
    if (!r->trying || --r->trying) return;
    if (split_is_faster(r) == r->chose_split) /* the try is over */
        r->explore = r->explore * 2 > GLC_POOL_EXPLORE_MAX ? GLC_POOL_EXPLORE_MAX : r->explore * 2;
    else
        r->explore = GLC_POOL_EXPLORE_MIN;
}

static void pool_run(void *self, uint32_t n_tasks, glc_task_fn fn, void *closure) {
    struct glc_rt_pool *p = self;
    if (n_tasks <= 1 || p->n_threads <= 1 || pthread_mutex_trylock(&p->busy) != 0) {
        run_alone(n_tasks, fn, closure);
        return;
    }
    pool_region *r = region_of(p, fn, n_tasks);
    bool split = choose_split(r);
    uint64_t t0 = now_ns();
    if (split) run_split(p, n_tasks, fn, closure);
    else run_alone(n_tasks, fn, closure);
    record(r, split, now_ns() - t0);
    pthread_mutex_unlock(&p->busy);
}

uint32_t glc_rt_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
    return 1;
}

static void pool_stop(struct glc_rt_pool *p, uint32_t started) {
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    publish(p);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(p->workers[i], NULL);
    pthread_mutex_destroy(&p->busy);
    free(p->workers);
    free(p);
}

glc_rt_status glc_rt_pool_create(uint32_t n_threads, glc_rt_pool **out) {
    if (!out) return GLC_RT_E_ARG;
    *out = NULL;
    if (n_threads == 0) n_threads = glc_rt_cpu_count();
    if (n_threads > GLC_POOL_MAX_THREADS) n_threads = GLC_POOL_MAX_THREADS;
    struct glc_rt_pool *p = calloc(1, sizeof *p);
    if (!p) return GLC_RT_E_NOMEM;
    p->workers = calloc(n_threads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return GLC_RT_E_NOMEM;
    }
    p->n_threads = n_threads;
    p->par = (glc_parallel){.self = p, .n_threads = n_threads, .run = pool_run};
    pthread_mutex_init(&p->busy, NULL);
    for (uint32_t i = 0; i + 1 < n_threads; i++)
        if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) {
            pool_stop(p, i);
            return GLC_RT_E_NOMEM;
        }
    *out = p;
    return GLC_RT_OK;
}

const glc_parallel *glc_rt_pool_parallel(const glc_rt_pool *p) {
    return p ? &p->par : NULL;
}

void glc_rt_pool_destroy(glc_rt_pool *p) {
    if (p) pool_stop(p, p->n_threads - 1);
}

/* GLC_NUM_THREADS: a positive count; unset, empty or invalid means every CPU. */
uint32_t glc_rt_default_threads(void) {
    const char *s = getenv("GLC_NUM_THREADS");
    if (s && *s) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (!*end && v > 0) return v > GLC_POOL_MAX_THREADS ? GLC_POOL_MAX_THREADS : (uint32_t)v;
    }
    return glc_rt_cpu_count();
}

static glc_rt_pool *default_pool;
static pthread_once_t default_once = PTHREAD_ONCE_INIT;

static void make_default_pool(void) {
    uint32_t n = glc_rt_default_threads();
    if (n > 1 && glc_rt_pool_create(n, &default_pool) != GLC_RT_OK) default_pool = NULL;
}

/* When the shared object holding this copy is unloaded (dlclose), or at exit: the
 * workers must not outlive the code they run. */
__attribute__((destructor)) static void stop_default_pool(void) {
    glc_rt_pool_destroy(default_pool);
    default_pool = NULL;
}

const glc_parallel *glc_rt_parallel_default(void) {
    pthread_once(&default_once, make_default_pool);
    return default_pool ? &default_pool->par : NULL;
}
