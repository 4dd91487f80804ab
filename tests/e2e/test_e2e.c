/*
 * test_e2e.c -- the glc driver end to end: compile each fixture model, run the .so,
 * run the reference interpreter, and compare both with numpy's answer; plus the
 * driver's help, version, inspect and --emit=llvm, and one test per diagnostic.
 *
 * The driver (GLC_DRIVER) is spawned with fork/exec, its stdout and stderr captured
 * in files under a scratch directory (removed at the end). Fixtures come from
 * tests/fixtures/e2e/gen_fixtures.py: <m>.onnx, <m>.x.npy and
 * <m>.expected_<output>.npy computed with numpy in float64.
 *
 * An error must be exactly one line on stderr with the expected exit status (1 for a
 * model/input/file problem, 2 for usage), and must leave no output file behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "codegen.h"
#include "files.h"
#include "frontend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIX GLC_TEST_SRC "/fixtures/e2e/"
#define MAX_ARGS 32

static char work[1024]; /* scratch directory for this run */

/* ---- spawning the driver ---------------------------------------------------------- */

typedef struct result {
    int status; /* exit status, or -1 if it did not exit normally */
    char *out, *err;
} result;

/* Everything slurp() returns is kept here and freed by the group teardown, so a
 * failing assertion (a longjmp out of the test) leaks nothing. */
static char **owned;
static size_t n_owned;

static void own(char *p) {
    char **grown = realloc(owned, (n_owned + 1) * sizeof *owned);
    assert_non_null(grown);
    owned = grown;
    owned[n_owned++] = p;
}

static char *slurp(const char *path) {
    char *buf = tf_read_file(path, NULL);
    own(buf);
    return buf;
}

/* GLC_DEFAULT_CPU for the next spawned driver: inherited unless child_cpu_set (then
 * child_cpu, or unset if NULL); glc_cpu() sets it for one call. */
static bool child_cpu_set;
static const char *child_cpu;

static void child(const char *cwd, const char *tmpdir, char **argv, const char *o, const char *e) {
    int fo = open(o, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = open(e, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(127);
    if (cwd && chdir(cwd) != 0) _exit(127);
    if (tmpdir) setenv("TMPDIR", tmpdir, 1);
    if (child_cpu_set && child_cpu) setenv("GLC_DEFAULT_CPU", child_cpu, 1);
    if (child_cpu_set && !child_cpu) unsetenv("GLC_DEFAULT_CPU");
    execv(GLC_DRIVER, argv);
    _exit(127);
}

/* Runs `glc args...` (NULL-terminated) in cwd (NULL = here), TMPDIR=tmpdir if set. */
static result spawn_in(const char *cwd, const char *tmpdir, const char *arg0, va_list ap) {
    char *argv[MAX_ARGS] = {(char *)"glc"};
    int n = 1;
    for (const char *a = arg0; a; a = va_arg(ap, const char *)) {
        assert_true(n < MAX_ARGS - 1);
        argv[n++] = (char *)a;
    }
    char o[1100], e[1100];
    snprintf(o, sizeof o, "%s/stdout.txt", work);
    snprintf(e, sizeof e, "%s/stderr.txt", work);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) child(cwd, tmpdir, argv, o, e);
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    result r = {WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, slurp(o), slurp(e)};
    return r;
}

static result glc(const char *arg0, ...) {
    va_list ap;
    va_start(ap, arg0);
    result r = spawn_in(NULL, NULL, arg0, ap);
    va_end(ap);
    return r;
}

static result glc_env(const char *cwd, const char *tmpdir, const char *arg0, ...) {
    va_list ap;
    va_start(ap, arg0);
    result r = spawn_in(cwd, tmpdir, arg0, ap);
    va_end(ap);
    return r;
}

/* `glc args...` with GLC_DEFAULT_CPU=cpu (NULL: unset). */
static result glc_cpu(const char *cpu, const char *arg0, ...) {
    va_list ap;
    va_start(ap, arg0);
    child_cpu_set = true, child_cpu = cpu;
    result r = spawn_in(NULL, NULL, arg0, ap);
    child_cpu_set = false, child_cpu = NULL;
    va_end(ap);
    return r;
}

static void expect_ok(result r) {
    if (r.status != 0) fail_msg("glc exited %d; stderr: %s", r.status, r.err);
    assert_string_equal(r.err, "");
}

/* Exit status `status` and one line on stderr containing every NULL-terminated key. */
static void expect_error(result r, int status, ...) {
    if (r.status != status) fail_msg("glc exited %d, want %d; stderr: %s", r.status, status, r.err);
    size_t len = strlen(r.err);
    const char *nl = strchr(r.err, '\n');
    if (!len || nl != r.err + len - 1) fail_msg("want exactly one line on stderr, got: %s", r.err);
    va_list ap;
    va_start(ap, status);
    for (const char *k; (k = va_arg(ap, const char *));)
        if (!strstr(r.err, k)) fail_msg("stderr lacks '%s': %s", k, r.err);
    va_end(ap);
}

/* ---- scratch files ---------------------------------------------------------------- */

static const char *wpath(char *buf, const char *fmt, ...) {
    char rel[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(buf, 1600, "%s/%s", work, rel);
    return buf;
}

static const char *wdir(char *buf, const char *fmt, const char *arg) {
    wpath(buf, fmt, arg);
    if (mkdir(buf, 0755) != 0) assert_int_equal(errno, EEXIST);
    return buf;
}

static bool exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static int dir_entries(const char *path) {
    DIR *d = opendir(path);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void remove_tree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[2048];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int setup(void **state) {
    snprintf(work, sizeof work, "%s/e2e-XXXXXX", GLC_TEST_BIN);
    return mkdtemp(work) ? 0 : -1;
}

static int teardown(void **state) {
    remove_tree(work);
    for (size_t i = 0; i < n_owned; i++) free(owned[i]);
    free(owned);
    return 0;
}

/* ---- comparing outputs ------------------------------------------------------------ */

static void read_npy(const char *path, glc_host_tensor *t) {
    glc_diag d = {.file = path};
    if (glc_npy_read(path, t, &d) != GLC_OK) {
        char line[2048];
        glc_diag_format(&d, line, sizeof line);
        fail_msg("%s", line);
    }
}

/* Why got differs from want ("" if it does not): dtype f32 both, same shape, and
 * |g - w| <= 1e-5 |w| + 1e-6 elementwise. */
static void compare(const glc_host_tensor *got, const glc_host_tensor *want, char *why,
                    size_t len) {
    why[0] = '\0';
    bool same = got->dtype == GLC_DT_F32 && want->dtype == GLC_DT_F32 &&
                got->rank == want->rank && got->nbytes == want->nbytes;
    for (int k = 0; same && k < got->rank; k++) same = got->dims[k] == want->dims[k];
    if (!same) {
        char a[128], b[128];
        glc_shape_str(got->dtype, got->rank, got->dims, a, sizeof a);
        glc_shape_str(want->dtype, want->rank, want->dims, b, sizeof b);
        snprintf(why, len, "is %s, want %s", a, b);
        return;
    }
    const float *g = got->data, *w = want->data; /* (numel) */
    for (size_t i = 0; i < got->nbytes / sizeof(float); i++)
        if (!(fabs((double)g[i] - w[i]) <= 1e-5 * fabs((double)w[i]) + 1e-6)) {
            snprintf(why, len, "[%zu] = %.9g, want %.9g", i, (double)g[i], (double)w[i]);
            return;
        }
}

static void expect_close(const char *got_path, const char *want_path) {
    glc_host_tensor got, want;
    read_npy(got_path, &got);
    read_npy(want_path, &want);
    char why[512];
    compare(&got, &want, why, sizeof why);
    glc_host_tensor_fini(&got);
    glc_host_tensor_fini(&want);
    if (why[0]) fail_msg("%s %s (expected: %s)", got_path, why, want_path);
}

/* ---- fixtures: compile, run, interpret, compare ----------------------------------- */

typedef struct fixture {
    const char *stem;
    const char *outputs[4]; /* output file names (sanitised), NULL-terminated */
} fixture;

static void check_fixture(const fixture *f) {
    char model[1024], x[1024], so[1600], dso[1600], dint[1600], got[1600], got2[1600],
        want[1024];
    snprintf(model, sizeof model, FIX "%s.onnx", f->stem);
    snprintf(x, sizeof x, "x=" FIX "%s.x.npy", f->stem);
    wdir(so, "%s", f->stem);
    wpath(so, "%s/%s.so", f->stem, f->stem);
    wdir(dso, "%s/so", f->stem);
    wdir(dint, "%s/interp", f->stem);
    expect_ok(glc(model, "-o", so, NULL));
    expect_ok(glc("run", so, "--input", x, "--output-dir", dso, NULL));
    expect_ok(glc("run", model, "--interp", "--input", x, "--output-dir", dint, NULL));
    for (int i = 0; f->outputs[i]; i++) {
        snprintf(want, sizeof want, FIX "%s.expected_%s.npy", f->stem, f->outputs[i]);
        wpath(got, "%s/so/%s.npy", f->stem, f->outputs[i]);
        wpath(got2, "%s/interp/%s.npy", f->stem, f->outputs[i]);
        expect_close(got, want);
        expect_close(got2, want);
        expect_close(got, got2);
    }
}

static void test_e2e__mlp_compiled_and_interpreted_match_numpy(void **state) {
    check_fixture(&(fixture){"mlp", {"y"}});
}

static void test_e2e__all_ops_compiled_and_interpreted_match_numpy(void **state) {
    check_fixture(&(fixture){"all_ops", {"y", "flat_0", "g"}});
}

static void test_e2e__softmax_opset11_legacy_axis_matches_numpy(void **state) {
    check_fixture(&(fixture){"softmax11", {"y"}});
}

static void test_e2e__gemm_transposed_with_scalar_bias_matches_numpy(void **state) {
    check_fixture(&(fixture){"gemm_trans", {"y"}});
}

static void test_e2e__symbolic_batch_and_width_conv_matches_numpy(void **state) {
    check_fixture(&(fixture){"conv_sym", {"y"}}); /* compiled once for any N, W */
}

/* If with conditions folded from static shapes: the selected branches inlined at import. */
static void test_e2e__if_with_static_conditions_matches_numpy(void **state) {
    check_fixture(&(fixture){"if_static", {"y", "y2"}});
}

/* If on a graph input: compiled as a run-time If (both branches, the one selected runs),
 * compiled and interpreted at both values; or --bind selects the branch at compile time. */
static void test_e2e__if_on_an_input_runs_the_branch_it_selects(void **state) {
    const char *model = GLC_TEST_SRC "/fixtures/frontend/if_input.onnx";
    const char *flag_true = "flag=" GLC_TEST_SRC "/fixtures/frontend/np_bool_scalar.npy";
    const char *flag_false = "flag=" FIX "if_bind.flag_false.npy";
    char so[1600], bso[1600], out[1600], got[1600];
    wpath(so, "if_run.so");
    wpath(bso, "if_bind.so");
    expect_ok(glc(model, "-o", so, NULL));
    expect_ok(glc(model, "--bind", flag_true, "-o", bso, NULL));
    expect_error(glc(model, "--stream", "-o", wpath(out, "if_stream.so"), NULL), 1,
                 "cannot stream: the model has an If whose condition is not known at compile "
                 "time (bind it)", NULL);
    static const struct {
        const char *dir, *flag, *want;
        bool interp, bound;
    } runs[] = {
        {"if_run_t", "t", "if_bind.expected_y.npy", false, false},
        {"if_run_f", "f", "if_bind.expected_y_false.npy", false, false},
        {"if_interp_t", "t", "if_bind.expected_y.npy", true, false},
        {"if_interp_f", "f", "if_bind.expected_y_false.npy", true, false},
        {"if_bound", "t", "if_bind.expected_y.npy", false, true},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        const char *flag = runs[i].flag[0] == 't' ? flag_true : flag_false;
        char want[1024];
        snprintf(want, sizeof want, FIX "%s", runs[i].want);
        wdir(out, "%s", runs[i].dir);
        if (runs[i].bound)
            expect_ok(glc("run", bso, "--input", "x=" FIX "if_bind.x.npy", "--output-dir", out,
                          NULL));
        else if (runs[i].interp)
            expect_ok(glc("run", model, "--interp", "--input", flag, "--input",
                          "x=" FIX "if_bind.x.npy", "--output-dir", out, NULL));
        else
            expect_ok(glc("run", so, "--input", flag, "--input", "x=" FIX "if_bind.x.npy",
                          "--output-dir", out, NULL));
        expect_close(wpath(got, "%s/y.npy", runs[i].dir), want);
    }
}

/* Run-time Ifs nested in one another, compiled once and run at every pair of conditions. */
static void test_e2e__nested_run_time_ifs_match_numpy(void **state) {
    char so[1600], out[1600], got[1600], want[1024], a[1024], b[1024];
    wpath(so, "if_nested_rt.so");
    expect_ok(glc(GLC_TEST_SRC "/fixtures/frontend/if_nested_rt.onnx", "-o", so, NULL));
    for (int k = 0; k < 4; k++) {
        snprintf(a, sizeof a, "a=" FIX "if_nested_rt.a%d.npy", k & 1);
        snprintf(b, sizeof b, "b=" FIX "if_nested_rt.a%d.npy", k >> 1);
        snprintf(want, sizeof want, FIX "if_nested_rt.%d%d.expected_y.npy", k & 1, k >> 1);
        char dir[32];
        snprintf(dir, sizeof dir, "if_nested_rt_%d", k);
        wdir(out, "%s", dir);
        expect_ok(glc("run", so, "--input", a, "--input", b, "--input",
                      "x=" FIX "if_nested_rt.x.npy", "--output-dir", out, NULL));
        expect_close(wpath(got, "%s/y.npy", dir), want);
    }
}

static void test_e2e__run_onnx_compiles_to_a_temporary_so_and_removes_it(void **state) {
    char tmp[1600], out[1600], got[1600];
    wdir(tmp, "%s", "tmp_run");
    wdir(out, "%s", "out_run");
    expect_ok(glc_env(NULL, tmp, "run", FIX "mlp.onnx", "--input=x=" FIX "mlp.x.npy",
                      "--output-dir", out, NULL));
    expect_close(wpath(got, "out_run/y.npy"), FIX "mlp.expected_y.npy");
    assert_int_equal(dir_entries(tmp), 0);
}

static void test_e2e__O0_runs_no_pass_and_still_matches_numpy(void **state) {
    char so[1600], out[1600], got[1600];
    wdir(out, "%s", "o0");
    result r = glc("-O0", FIX "all_ops.onnx", "-o", wpath(so, "o0/all_ops.so"), "-v", NULL);
    if (r.status != 0) fail_msg("glc -O0 exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.err, "no pass")); /* -v reports that -O0 ran none */
    assert_non_null(strstr(r.err, "codegen"));
    expect_ok(glc("run", so, "--input", "x=" FIX "all_ops.x.npy", "--output-dir", out, NULL));
    expect_close(wpath(got, "o0/y.npy"), FIX "all_ops.expected_y.npy");
    expect_close(wpath(got, "o0/flat_0.npy"), FIX "all_ops.expected_flat_0.npy");
}

/* Whether the default target (the host, or GLC_DEFAULT_CPU) gets glc's AVX-512 kernels. */
static bool default_target_has(const char *feature) {
    glc_codegen_options o = glc_codegen_defaults();
    glc_codegen_target t;
    glc_diag d = {0};
    assert_int_equal(glc_codegen_target_resolve(&o, &t, &d), GLC_OK);
    bool has = glc_codegen_target_has(&t, feature);
    glc_codegen_target_fini(&t);
    return has;
}

/* Compiles mlp.onnx --emit=KIND to <work>/FILE, for x86_64 and cpu (and features) if
 * cpu is given, else for the default target; returns the output's text. */
static const char *emit_text(const char *cpu, const char *features, const char *kind,
                             const char *file) {
    char out[1600], emit[64], c[128], f[256];
    snprintf(emit, sizeof emit, "--emit=%s", kind);
    snprintf(c, sizeof c, "--cpu=%s", cpu ? cpu : "");
    snprintf(f, sizeof f, "--features=%s", features ? features : "");
    wpath(out, "%s", file);
    if (cpu && features)
        expect_ok(glc(FIX "mlp.onnx", "--target=x86_64-linux-gnu", c, f, emit, "-o", out, NULL));
    else if (cpu)
        expect_ok(glc(FIX "mlp.onnx", "--target=x86_64-linux-gnu", c, emit, "-o", out, NULL));
    else
        expect_ok(glc(FIX "mlp.onnx", emit, "-o", out, NULL));
    return slurp(out);
}

/* The vector width is the target's, not the host's: 16 floats in zmm registers where glc
 * emits AVX-512 kernels (+avx512f), 8 in ymm for AVX2 (x86-64-v3). Only compiled, never
 * run, so both hold on any host. */
static void test_e2e__emit_vector_width_follows_the_target(void **state) {
    const char *ll = emit_text(NULL, NULL, "llvm", "mlp.ll");
    assert_non_null(strstr(ll, "define"));
    if (default_target_has("avx512f") && !strstr(ll, "<16 x float>"))
        fail_msg("the default target has avx512f; mlp.ll has no <16 x float>");
    ll = emit_text("x86-64-v3", NULL, "llvm", "mlp_v3.ll");
    assert_non_null(strstr(ll, "<8 x float>"));
    assert_null(strstr(ll, "<16 x float>"));
    const char *s = emit_text("x86-64-v3", NULL, "asm", "mlp_v3.s");
    assert_non_null(strstr(s, "ymm"));
    assert_null(strstr(s, "zmm"));
    ll = emit_text("x86-64-v4", "+avx512f", "llvm", "mlp_v4.ll");
    assert_non_null(strstr(ll, "<16 x float>"));
    s = emit_text("x86-64-v4", "+avx512f", "asm", "mlp_v4.s");
    assert_non_null(strstr(s, "zmm"));
}

/* GLC_DEFAULT_CPU=x86-64-v3 turns every compilation without --cpu or --target into AVX2
 * code (no zmm, target-cpu x86-64-v3, no host features), and the flags still win. */
static void test_e2e__default_cpu_env_makes_every_compilation_target_that_cpu(void **state) {
    char out[1600];
    expect_ok(glc_cpu("x86-64-v3", FIX "mlp.onnx", "--emit=llvm", "-o", wpath(out, "env.ll"),
                      NULL));
    const char *ll = slurp(out);
    assert_non_null(strstr(ll, "\"target-cpu\"=\"x86-64-v3\""));
    assert_null(strstr(ll, "+avx512f"));
    expect_ok(glc_cpu("x86-64-v3", FIX "mlp.onnx", "--emit=asm", "-o", wpath(out, "env.s"), NULL));
    assert_null(strstr(slurp(out), "zmm"));
    expect_ok(glc_cpu("x86-64-v3", FIX "mlp.onnx", "--cpu=x86-64-v4", "--features=+avx512f",
                      "--emit=asm", "-o", wpath(out, "env_v4.s"), NULL));
    assert_non_null(strstr(slurp(out), "zmm"));
    result r = glc_cpu("x86-64-v3", "--version", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "default cpu x86-64-v3 from GLC_DEFAULT_CPU"));
}

/* A CPU or feature name LLVM does not know is a usage error in one line that says how to
 * list the valid ones (LLVM alone only warned and went on for a generic CPU); so is a bad
 * GLC_DEFAULT_CPU, for compile and for `glc run MODEL.onnx`. Nothing is written. */
static void test_e2e__unknown_cpu_is_a_one_line_error(void **state) {
    char out[1600];
    wpath(out, "%s", "znver99.so");
    expect_error(glc(FIX "mlp.onnx", "--cpu=znver99", "-o", out, NULL), 2,
                 "unknown CPU 'znver99' (--cpu)", "'glc --list-cpus'", NULL);
    expect_error(glc_cpu("znver99", FIX "mlp.onnx", "-o", out, NULL), 2,
                 "unknown CPU 'znver99' (GLC_DEFAULT_CPU)", "'glc --list-cpus'", NULL);
    expect_error(glc_cpu("znver99", "run", FIX "mlp.onnx", "--input", "x=" FIX "mlp.x.npy",
                         "--output-dir", work, NULL),
                 2, "unknown CPU 'znver99' (GLC_DEFAULT_CPU)", NULL);
    expect_error(glc(FIX "mlp.onnx", "--features=+avx2,+avx512foo", "-o", out, NULL), 2,
                 "unknown CPU feature '+avx512foo'", "'glc --list-features'", NULL);
    expect_error(glc(FIX "mlp.onnx", "--target=aarch64-linux-gnu", "--cpu=cortex-a99",
                     "--emit=obj", "-o", out, NULL),
                 2, "unknown CPU 'cortex-a99' (--cpu) for aarch64-linux-gnu", NULL);
    assert_false(exists(out));
}

/* glc --list-cpus / --list-features: LLVM's names for the host's triple or --target's,
 * one per line, without llc. */
static void test_e2e__list_cpus_and_features_print_llvm_names(void **state) {
    result r = glc("--list-cpus", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "\nx86-64-v3\n"));
    assert_non_null(strstr(r.out, "\nznver4\n"));
    r = glc("--list-features", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "\navx512bf16\n"));
    r = glc("--list-cpus", "--target=aarch64-linux-gnu", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "\ncortex-a72\n"));
    assert_null(strstr(r.out, "znver4"));
    expect_error(glc("--list-cpus", "x", NULL), 2, "--list-cpus takes only --target", NULL);
}

static void test_e2e__default_output_is_model_basename_in_current_dir(void **state) {
    char dir[1600], path[1600];
    wdir(dir, "%s", "cwd");
    expect_ok(glc_env(dir, NULL, FIX "softmax11.onnx", "--emit=asm", NULL));
    assert_true(exists(wpath(path, "cwd/softmax11.s")));
    expect_ok(glc_env(dir, NULL, FIX "softmax11.onnx", NULL));
    assert_true(exists(wpath(path, "cwd/softmax11.so")));
}

static void test_e2e__emit_obj_and_asm_write_the_requested_kind(void **state) {
    char path[1600];
    expect_ok(glc(FIX "gemm_trans.onnx", "--emit=obj", "-o", wpath(path, "gemm_trans.o"), NULL));
    char *text = slurp(path);
    assert_memory_equal(text, "\x7f" "ELF", 4);
    expect_ok(glc(FIX "gemm_trans.onnx", "--emit", "asm", "-o", wpath(path, "gemm_trans.s"), NULL));
    text = slurp(path);
    if (!strstr(text, "glc_model_invoke")) fail_msg("%s does not define glc_model_invoke", path);
}

static void test_e2e__name_prefix_must_match_between_compile_and_run(void **state) {
    char so[1600], out[1600], got[1600];
    wdir(out, "%s", "named");
    expect_ok(glc(FIX "softmax11.onnx", "--name=sm11", "-o", wpath(so, "named/sm11.so"), NULL));
    expect_ok(glc("run", so, "--name=sm11", "--input", "x=" FIX "softmax11.x.npy", "--output-dir",
                  out, NULL));
    expect_close(wpath(got, "named/y.npy"), FIX "softmax11.expected_y.npy");
    expect_error(glc("run", so, "--input", "x=" FIX "softmax11.x.npy", "--output-dir", out, NULL),
                 1, "sm11.so: ", "glc_model_describe", NULL);
    expect_error(glc(FIX "softmax11.onnx", "--name=9lives", "-o", so, NULL), 2, "9lives", NULL);
}

/* ---- help, version, inspect ------------------------------------------------------- */

static void test_e2e__help_describes_every_command_and_exits_0(void **state) {
    static const char *const words[] = {"glc run", "glc inspect", "glc bench", "--emit=so|obj|static|header|asm|llvm",
                                        "-O0", "--cpu", "--target", "--name", "--input",
                                        "--output-dir", "--interp", "--print-after-all",
                                        "--version", "fold-constants", "--list-cpus",
                                        "--list-features", "GLC_DEFAULT_CPU"};
    for (int k = 0; k < 2; k++) {
        result r = k ? glc("help", NULL) : glc("--help", NULL);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.err, "");
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            if (!strstr(r.out, words[i])) fail_msg("help lacks '%s'", words[i]);
        }
}

static void test_e2e__version_names_llvm_and_host_cpu(void **state) {
    result r = glc("--version", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    if (strncmp(r.out, "glc 0.1.0 (LLVM 19.", 19) || !strstr(r.out, ", host cpu "))
        fail_msg("bad version line: %s", r.out);
}

static void test_e2e__inspect_prints_the_imported_graph(void **state) {
    result r = glc("inspect", FIX "mlp.onnx", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    for (const char *const *w = (const char *const[]){"Gemm", "Relu", "Softmax", "fc1", NULL}; *w;
         w++)
        if (!strstr(r.out, *w)) fail_msg("inspect output lacks '%s':\n%s", *w, r.out);
}

static void test_e2e__inspect_prints_after_the_named_pass_or_every_pass(void **state) {
    result r = glc("inspect", FIX "all_ops.onnx", "--print-after=dce", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_non_null(strstr(r.out, "; after dce"));
    assert_null(strstr(r.out, "; after fold-constants"));
    r = glc("inspect", FIX "all_ops.onnx", "--print-after-all", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "; after fold-constants"));
    assert_non_null(strstr(r.out, "; after dce"));
}

/* ---- diagnostics: one line, the right exit status, no output file ---------------- */

static void test_e2e__truncated_onnx_is_a_parse_error(void **state) {
    char so[1600];
    expect_error(glc(FIX "truncated.onnx", "-o", wpath(so, "truncated.so"), NULL), 1,
                 "truncated.onnx: ", "parse error", NULL);
    assert_false(exists(so));
}

static void test_e2e__text_file_is_not_an_onnx_model(void **state) {
    char so[1600];
    expect_error(glc(FIX "not_onnx.onnx", "-o", wpath(so, "not_onnx.so"), NULL), 1,
                 "not_onnx.onnx: ", "parse error", NULL);
    assert_false(exists(so));
}

static void test_e2e__unknown_ops_are_listed_in_one_diagnostic(void **state) {
    char so[1600];
    expect_error(glc(FIX "unknown_op.onnx", "-o", wpath(so, "unknown_op.so"), NULL), 1,
                 "unknown_op.onnx: ", "unsupported", "NotAnOnnxOp (node", "NotAnOnnxOp2", NULL);
    assert_false(exists(so));
    expect_error(glc("run", FIX "unknown_op.onnx", "--interp", "--input", "x=" FIX "mlp.x.npy",
                     NULL),
                 1, "unsupported", "NotAnOnnxOp", NULL);
}

static void test_e2e__missing_model_file_names_it(void **state) {
    char so[1600];
    expect_error(glc(FIX "no_such_model.onnx", "-o", wpath(so, "none.so"), NULL), 1,
                 "no_such_model.onnx", NULL);
    assert_false(exists(so));
    expect_error(glc("run", wpath(so, "no_such_model.so"), "--input", "x=" FIX "mlp.x.npy", NULL),
                 1, "no_such_model.so: ", "No such file", NULL);
}

static void test_e2e__unwritable_output_path_fails_and_writes_nothing(void **state) {
    expect_error(glc(FIX "mlp.onnx", "-o", "/nonexistent/dir/x.so", NULL), 1,
                 "/nonexistent/dir/x.so: ", "/nonexistent/dir", NULL);
    assert_false(exists("/nonexistent/dir/x.so"));
    char d[1600];
    wdir(d, "%s", "is_a_dir.so");
    expect_error(glc(FIX "mlp.onnx", "-o", d, NULL), 1, "is_a_dir.so: ", "directory", NULL);
}

/* The compiled mlp, made once for the run-time diagnostics below. */
static const char *mlp_so(void) {
    static char so[1600];
    static bool made;
    if (!made) {
        expect_ok(glc(FIX "mlp.onnx", "-o", wpath(so, "diag_mlp.so"), NULL));
        made = true;
    }
    return so;
}

static void test_e2e__wrong_input_shape_or_dtype_names_input_and_both_shapes(void **state) {
    char out[1600];
    wdir(out, "%s", "wrong_shape");
    expect_error(glc("run", mlp_so(), "--input", "x=" FIX "mlp.x_bad_shape.npy", "--output-dir",
                     out, NULL),
                 1, "diag_mlp.so: ", "input 'x'", "expected f32[2,16]", "got f32[3,16]", NULL);
    expect_error(glc("run", FIX "mlp.onnx", "--interp", "--input", "x=" FIX "mlp.x_bad_dtype.npy",
                     "--output-dir", out, NULL),
                 1, "mlp.onnx: ", "input 'x'", "expected f32[2,16]", "got i64[2,16]", NULL);
    assert_int_equal(dir_entries(out), 0);
}

static void test_e2e__missing_input_names_it_with_expected_shape(void **state) {
    char out[1600];
    wdir(out, "%s", "missing_input");
    expect_error(glc("run", mlp_so(), "--output-dir", out, NULL), 1, "diag_mlp.so: ",
                 "missing input 'x'", "f32[2,16]", NULL);
    assert_int_equal(dir_entries(out), 0);
}

static void test_e2e__unknown_input_name_lists_the_model_inputs(void **state) {
    expect_error(glc("run", FIX "mlp.onnx", "--interp", "--input", "x=" FIX "mlp.x.npy",
                     "--input", "bogus=" FIX "mlp.x.npy", NULL),
                 1, "mlp.onnx: ", "unknown input 'bogus'", "'x'", NULL);
    expect_error(glc("run", mlp_so(), "--input", "y=" FIX "mlp.x.npy", NULL), 1,
                 "unknown input 'y'", NULL);
}

static void test_e2e__missing_input_file_names_it(void **state) {
    expect_error(glc("run", mlp_so(), "--input", "x=" FIX "no_such_input.npy", NULL), 1,
                 "no_such_input.npy", NULL);
}

static void test_e2e__missing_output_dir_is_an_error_naming_it(void **state) {
    char d[1600];
    expect_error(glc("run", FIX "mlp.onnx", "--interp", "--input", "x=" FIX "mlp.x.npy",
                     "--output-dir", wpath(d, "no_such_dir"), NULL),
                 1, "no_such_dir: ", "does not exist", NULL);
    assert_false(exists(d));
}

static void test_e2e__bad_flags_are_usage_errors_with_a_help_hint(void **state) {
    expect_error(glc("--frobnicate", FIX "mlp.onnx", NULL), 2, "unknown flag '--frobnicate'",
                 "glc --help", NULL);
    expect_error(glc(FIX "mlp.onnx", "-O7", NULL), 2, "-O7", "glc --help", NULL);
    expect_error(glc(FIX "mlp.onnx", "--emit=exe", NULL), 2, "exe", NULL);
    expect_error(glc(FIX "mlp.onnx", "-o", NULL), 2, "-o needs a value", NULL);
    expect_error(glc(NULL), 2, "glc --help", NULL);
    expect_error(glc("run", FIX "mlp.onnx", "--input", "x", NULL), 2, "NAME=FILE", NULL);
    expect_error(glc("run", FIX "mlp.onnx", "--output-dir=", NULL), 2, "--output-dir", NULL);
    expect_error(glc("run", "model.so", "--interp", NULL), 2, "--interp", NULL);
    expect_error(glc("inspect", FIX "mlp.onnx", "--print-after=bogus", NULL), 2, "bogus",
                 "fold-constants", "eliminate-identity", "fuse-gates", "dce", NULL);
    expect_error(glc("inspect", NULL), 2, "glc --help", NULL);
}

static void test_e2e__bench_prints_median_min_max_and_memory(void **state) {
    result r = glc("bench", mlp_so(), "--iters", "5", "--warmup=1", "--threads=1", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "median "));
    assert_non_null(strstr(r.out, "over 5 runs (1 warm-up, 1 thread)"));
    assert_non_null(strstr(r.out, "peak RSS "));
    r = glc("bench", mlp_so(), "--iters", "3", "--threads", "2", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "over 3 runs (3 warm-up, 2 threads)"));
    r = glc("bench", mlp_so(), "--iters=3", "--json", "--input", "x=" FIX "mlp.x.npy", NULL);
    expect_ok(r);
    assert_true(r.out[0] == '{' && strstr(r.out, "}\n"));
    double med = -1, lo = -1, hi = -1;
    const char *p = strstr(r.out, "\"median_s\": "), *q = strstr(r.out, "\"min_s\": ");
    const char *m = strstr(r.out, "\"max_s\": ");
    assert_true(p && q && m && strstr(r.out, "\"iters\": 3,") && strstr(r.out, "\"peak_rss_mb\""));
    med = atof(p + 12), lo = atof(q + 9), hi = atof(m + 9);
    assert_true(lo > 0 && lo <= med && med <= hi);
}

static void test_e2e__bench_takes_symbolic_dims_from_the_input_files(void **state) {
    char so[1600];
    expect_ok(glc(FIX "conv_sym.onnx", "-o", wpath(so, "bench_conv_sym.so"), NULL));
    result r = glc("bench", so, "--iters", "3", "--threads=1", "--input",
                   "x=" FIX "conv_sym.x.npy", NULL);
    expect_ok(r);
    assert_non_null(strstr(r.out, "over 3 runs (3 warm-up, 1 thread)"));
    expect_error(glc("bench", so, "--iters", "3", NULL), 1, "input 'x' has symbolic dim",
                 "--input", NULL);
    expect_error(glc("bench", so, "--input", "x=" FIX "mlp.x.npy", NULL), 1, "mlp.x.npy",
                 "input 'x'", NULL);
}

static void test_e2e__bench_rejects_bad_arguments_in_one_line(void **state) {
    expect_error(glc("bench", NULL), 2, "needs a compiled model", NULL);
    expect_error(glc("bench", FIX "mlp.onnx", NULL), 2, "compiled .so", NULL);
    expect_error(glc("bench", mlp_so(), "--iters", "0", NULL), 2, "--iters", NULL);
    expect_error(glc("bench", mlp_so(), "--threads", "0", NULL), 2, "--threads", NULL);
    expect_error(glc("bench", mlp_so(), "--input", "y=" FIX "mlp.x.npy", NULL), 1,
                 "no input named 'y'", NULL);
    expect_error(glc("bench", mlp_so(), "--input", "x=" FIX "mlp.x_bad_shape.npy", NULL), 1,
                 "mlp.x_bad_shape.npy", "input 'x'", NULL);
}

/* The ELF e_machine of an object file (bytes 18-19, little-endian). */
static int elf_machine(const char *path) {
    unsigned char h[20] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    if (f) fclose(f);
    if (n != sizeof h || h[0] != 0x7f || h[1] != 'E' || h[2] != 'L' || h[3] != 'F') return -1;
    return h[18] | h[19] << 8;
}

static void test_e2e__target_triple_emits_an_object_for_that_machine(void **state) {
    char o[1600];
    expect_ok(glc(FIX "mlp.onnx", "--target=aarch64-linux-gnu", "--emit=obj", "-o",
                  wpath(o, "mlp_arm64.o"), NULL));
    assert_int_equal(elf_machine(o), 183); /* EM_AARCH64 */
    expect_ok(glc(FIX "mlp.onnx", "--target=x86_64-linux-gnu", "--cpu=x86-64-v3", "--emit=obj",
                  "-o", wpath(o, "mlp_x86.o"), NULL));
    assert_int_equal(elf_machine(o), 62); /* EM_X86_64 */
}

/* --bf16 with a named cpu needs the feature spelled out (glc assumes none beyond the
 * baseline for a named cpu), and then compiles. */
static void test_e2e__bf16_for_a_named_cpu_takes_its_features(void **state) {
    char o[1600];
    expect_error(glc(FIX "mlp.onnx", "--cpu=znver4", "--bf16", "--emit=obj", "-o",
                     wpath(o, "mlp_bf16_nofeat.o"), NULL),
                 1, "mlp.onnx: ", "--bf16 needs avx512bf16", "cpu 'znver4'", NULL);
    assert_int_equal(access(o, F_OK), -1);
    expect_ok(glc(FIX "mlp.onnx", "--cpu=znver4", "--features=+avx512f,+avx512bf16", "--bf16",
                  "--emit=obj", "-o", wpath(o, "mlp_bf16.o"), NULL));
    assert_int_equal(elf_machine(o), 62); /* EM_X86_64 */
}

static void test_e2e__emit_header_and_static_name_the_prefix(void **state) {
    char h[1600], a[1600];
    expect_ok(glc(FIX "mlp.onnx", "--name=net1", "--emit=header", "-o", wpath(h, "net1.h"), NULL));
    const char *text = slurp(h);
    static const char *const want[] = {"#define NET1_WORKSPACE_SIZE", "NET1_X_NUMEL 32u",
                                       "const float *x; /* f32[2,16] 'x' */", "net1_invoke(",
                                       "static inline int net1_run(const net1_inputs *in",
                                       "has none: link runtime/pool.c"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(text, want[i])) fail_msg("%s lacks '%s'", h, want[i]);
    expect_ok(glc(FIX "mlp.onnx", "--name=net1", "--emit=static", "-o", wpath(a, "libnet1.a"), NULL));
    const char *ar = slurp(a);
    assert_memory_equal(ar, "!<arch>\n", 8);
    /* symbolic ports: no size macros, the (lower-case) planning function named instead */
    expect_ok(glc(FIX "conv_sym.onnx", "--name=net2", "--emit=header", "-o", wpath(h, "net2.h"),
                  NULL));
    text = slurp(h);
    if (!strstr(text, "/* x 'x': f32[N,2,5,W] (symbolic: net2_plan gives its dims) */"))
        fail_msg("%s does not point the symbolic input at net2_plan", h);
}

/* tests/fixtures/hostile (gen_hostile.py): one file per bad-input class; each must end in
 * exit 1 with one stderr line naming the file and the problem, and no output file. The
 * table is docs/hostile_input.md's. */
static void test_e2e__hostile_inputs_get_one_line_diagnostics(void **state) {
    static const struct {
        const char *file, *key;
    } cases[] = {
        {"truncated", "not an ONNX model"},
        {"wrong_magic", "not an ONNX model"},
        {"empty", "not an ONNX model"},
        {"negative_dim", "input 'x' has dimension -3"},
        {"huge_dims", "dimension 0 of input 'x' is 2147483648; the limit is dim=2147483647"},
        {"too_many_elements", "the element count of input 'x' is 17179869184; the limit is "
                              "tensor-elems=2147483648"},
        {"huge_inferred_value", "dimension 0 of value 'y' is 2147483649; the limit is dim="},
        {"rank_too_high", "the rank of input 'x' is 12; the limit is rank=8"},
        {"deep_nesting", "message nesting is 65; the limit is nesting=64"},
        {"oversized_string", "the length of a node name 'rrrr"},
        {"initializer_size_mismatch", "the tensor holds 16"},
        {"cycle", "cycle through this node"},
        {"dangling_name", "input 'nowhere' is not defined"},
        {"duplicate_output_name", "value 'y' is defined twice"},
        {"missing_required_attribute", "attribute hidden_size is required"},
        {"wrong_dtype", "dtype mismatch"},
    };
    char model[1600], out[1600];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(model, sizeof model, "%s/fixtures/hostile/%s.onnx", GLC_TEST_SRC, cases[i].file);
        wpath(out, "hostile_%s.so", cases[i].file);
        expect_error(glc(model, "-o", out, NULL), 1, cases[i].file, cases[i].key, NULL);
        assert_false(exists(out));
    }
    /* A 3000-node chain is not hostile: it compiles (the importer's sort is iterative). */
    snprintf(model, sizeof model, "%s/fixtures/hostile/deep_chain.onnx", GLC_TEST_SRC);
    expect_ok(glc(model, "-o", wpath(out, "deep_chain.so"), NULL));
    /* Nor is an If on a graph input: both branches compile, one runs. */
    snprintf(model, sizeof model, "%s/fixtures/hostile/subgraph_if.onnx", GLC_TEST_SRC);
    expect_ok(glc(model, "-o", wpath(out, "subgraph_if.so"), NULL));
}

/* --limit NAME=N lowers (or raises) one limit; the diagnostic names value, limit and flag;
 * bad specs are usage errors. */
static void test_e2e__limit_flag_sets_a_limit_and_bad_specs_are_usage_errors(void **state) {
    char model[1600], out[1600];
    snprintf(model, sizeof model, "%s/fixtures/hostile/deep_chain.onnx", GLC_TEST_SRC);
    wpath(out, "limited.so");
    expect_error(glc(model, "--limit", "nodes=100", "-o", out, NULL), 1, "deep_chain.onnx",
                 "the number of nodes is 101; the limit is nodes=100 (raise it with --limit "
                 "nodes=N)", NULL);
    assert_false(exists(out));
    expect_error(glc(model, "--limit=messages=50", "-o", out, NULL), 1, "the limit is messages=50",
                 NULL);
    expect_error(glc(FIX "mlp.onnx", "--limit", "weight-bytes=100", "-o", out, NULL), 1,
                 "the bytes of all weights is", "the limit is weight-bytes=100", NULL);
    expect_error(glc(FIX "mlp.onnx", "--limit", "string-bytes=0", "-o", out, NULL), 1,
                 "the limit is string-bytes=0", NULL);
    assert_false(exists(out));
    snprintf(model, sizeof model, "%s/fixtures/hostile/oversized_string.onnx", GLC_TEST_SRC);
    expect_ok(glc(model, "--limit", "string-bytes=300000", "-o", out, NULL));
    expect_error(glc(FIX "mlp.onnx", "--limit", "bogus=1", NULL), 2, "unknown limit 'bogus'", NULL);
    expect_error(glc(FIX "mlp.onnx", "--limit", "rank=9", NULL), 2, "above its maximum 8", NULL);
    expect_error(glc(FIX "mlp.onnx", "--limit", "nodes=-5", NULL), 2, "not a non-negative", NULL);
    expect_error(glc(FIX "mlp.onnx", "--limit", "nodes", NULL), 2, "--limit needs NAME=N", NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e2e__mlp_compiled_and_interpreted_match_numpy),
        cmocka_unit_test(test_e2e__all_ops_compiled_and_interpreted_match_numpy),
        cmocka_unit_test(test_e2e__softmax_opset11_legacy_axis_matches_numpy),
        cmocka_unit_test(test_e2e__gemm_transposed_with_scalar_bias_matches_numpy),
        cmocka_unit_test(test_e2e__symbolic_batch_and_width_conv_matches_numpy),
        cmocka_unit_test(test_e2e__if_with_static_conditions_matches_numpy),
        cmocka_unit_test(test_e2e__if_on_an_input_runs_the_branch_it_selects),
        cmocka_unit_test(test_e2e__nested_run_time_ifs_match_numpy),
        cmocka_unit_test(test_e2e__run_onnx_compiles_to_a_temporary_so_and_removes_it),
        cmocka_unit_test(test_e2e__O0_runs_no_pass_and_still_matches_numpy),
        cmocka_unit_test(test_e2e__emit_vector_width_follows_the_target),
        cmocka_unit_test(test_e2e__default_cpu_env_makes_every_compilation_target_that_cpu),
        cmocka_unit_test(test_e2e__unknown_cpu_is_a_one_line_error),
        cmocka_unit_test(test_e2e__list_cpus_and_features_print_llvm_names),
        cmocka_unit_test(test_e2e__default_output_is_model_basename_in_current_dir),
        cmocka_unit_test(test_e2e__emit_obj_and_asm_write_the_requested_kind),
        cmocka_unit_test(test_e2e__name_prefix_must_match_between_compile_and_run),
        cmocka_unit_test(test_e2e__help_describes_every_command_and_exits_0),
        cmocka_unit_test(test_e2e__limit_flag_sets_a_limit_and_bad_specs_are_usage_errors),
        cmocka_unit_test(test_e2e__bench_prints_median_min_max_and_memory),
        cmocka_unit_test(test_e2e__bench_takes_symbolic_dims_from_the_input_files),
        cmocka_unit_test(test_e2e__hostile_inputs_get_one_line_diagnostics),
        cmocka_unit_test(test_e2e__target_triple_emits_an_object_for_that_machine),
        cmocka_unit_test(test_e2e__emit_header_and_static_name_the_prefix),
        cmocka_unit_test(test_e2e__bench_rejects_bad_arguments_in_one_line),
        cmocka_unit_test(test_e2e__version_names_llvm_and_host_cpu),
        cmocka_unit_test(test_e2e__bf16_for_a_named_cpu_takes_its_features),
        cmocka_unit_test(test_e2e__inspect_prints_the_imported_graph),
        cmocka_unit_test(test_e2e__inspect_prints_after_the_named_pass_or_every_pass),
        cmocka_unit_test(test_e2e__truncated_onnx_is_a_parse_error),
        cmocka_unit_test(test_e2e__text_file_is_not_an_onnx_model),
        cmocka_unit_test(test_e2e__unknown_ops_are_listed_in_one_diagnostic),
        cmocka_unit_test(test_e2e__missing_model_file_names_it),
        cmocka_unit_test(test_e2e__unwritable_output_path_fails_and_writes_nothing),
        cmocka_unit_test(test_e2e__wrong_input_shape_or_dtype_names_input_and_both_shapes),
        cmocka_unit_test(test_e2e__missing_input_names_it_with_expected_shape),
        cmocka_unit_test(test_e2e__unknown_input_name_lists_the_model_inputs),
        cmocka_unit_test(test_e2e__missing_input_file_names_it),
        cmocka_unit_test(test_e2e__missing_output_dir_is_an_error_naming_it),
        cmocka_unit_test(test_e2e__bad_flags_are_usage_errors_with_a_help_hint),
    };
    return cmocka_run_group_tests_name("e2e", tests, setup, teardown);
}
