/* test_activation.c -- cg_act_emit (codegen/lower_activation.c) for all 11 activation
 * kinds, on f32 scalars and <8 x float> vectors, against the double-precision reference
 * glc_act_apply: dense sweeps over [-30, 30] and [-1, 1] with |y - ref| <= 1e-6 |ref| +
 * 1e-7, and relative accuracy of Elu and Softplus where naive formulas cancel. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

#include "activation.h"
#include "cg_testing.h"

#include <dlfcn.h>

typedef void (*kern_fn)(const float *, float *, int64_t);

static const glc_act ACTS[] = {
    {GLC_ACT_SIGMOID, 0, 0},
    {GLC_ACT_TANH, 0, 0},
    {GLC_ACT_RELU, 0, 0},
    {GLC_ACT_AFFINE, 0.7f, 0.2f},
    {GLC_ACT_LEAKY_RELU, 0.1f, 0},
    {GLC_ACT_THRESHOLDED_RELU, 0.5f, 0},
    {GLC_ACT_SCALED_TANH, 1.3f, 0.6f},
    {GLC_ACT_HARD_SIGMOID, 0.2f, 0.5f},
    {GLC_ACT_ELU, 1.1f, 0},
    {GLC_ACT_SOFTSIGN, 0, 0},
    {GLC_ACT_SOFTPLUS, 0, 0},
};
enum { N_ACTS = sizeof ACTS / sizeof ACTS[0], N = 200000 };
_Static_assert(N_ACTS == GLC_ACT_SOFTPLUS + 1, "test every activation kind");

static void *H;

static int group_setup(void **state) {
    (void)state;
    if (cg_make_tmpdir()) return -1;
    char path[700];
    snprintf(path, sizeof path, "%s/acts.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit_acts(&o, ACTS, N_ACTS, path, &d)) {
        fprintf(stderr, "emit_acts: %s\n", d.msg);
        return -1;
    }
    H = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    return H ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    if (H) dlclose(H);
    cg_rm_tmpdir();
    return 0;
}

static kern_fn kernel(int k, bool vec) {
    char name[64];
    snprintf(name, sizeof name, vec ? "glc_test_actv%d" : "glc_test_act%d", k);
    kern_fn f;
    *(void **)&f = dlsym(H, name);
    assert_non_null(f);
    return f;
}

/* Runs kind k on n points (n a multiple of 8) and checks |y - ref| <= rel*|ref| + abs. */
static void check(int k, bool vec, const float *x, int n, double rel, double abs_tol) {
    float *y = malloc((size_t)n * sizeof *y);
    kernel(k, vec)(x, y, n);
    for (int i = 0; i < n; i++) {
        double r = glc_act_apply(&ACTS[k], x[i]);
        if (!(fabs(y[i] - r) <= rel * fabs(r) + abs_tol))
            fail_msg("%s (%s) at x = %.9g: got %.9g want %.9g", glc_act_name(ACTS[k].kind),
                     vec ? "vector" : "scalar", x[i], y[i], r);
    }
    free(y);
}

static void sweep(bool vec) {
    float *x = malloc(N * sizeof *x);
    for (int k = 0; k < N_ACTS; k++) {
        for (int i = 0; i < N; i++)
            x[i] = (float)(-30.0 + 60.0 * i / (N - 1));
        check(k, vec, x, N, 1e-6, 1e-7);
        for (int i = 0; i < N; i++)
            x[i] = (float)(-1.0 + 2.0 * i / (N - 1));
        check(k, vec, x, N, 1e-6, 1e-7);
    }
    free(x);
}

static void test_activation__all_kinds_match_reference_on_scalars(void **state) {
    (void)state;
    sweep(false);
}

static void test_activation__all_kinds_match_reference_on_vectors(void **state) {
    (void)state;
    sweep(true);
}

/* Elu near 0 (exp(x) - 1 would cancel) and Softplus far left (result ~ e^x, tiny):
 * relative error only, no absolute slack. */
static void test_activation__elu_and_softplus_keep_relative_accuracy(void **state) {
    (void)state;
    float xe[16], xs[16];
    for (int i = 0; i < 16; i++) {
        xe[i] = -1e-6f * (float)(i + 1) * (float)(i + 1) * 100.0f; /* -1e-4 .. -0.0256 */
        xs[i] = -80.0f + 4.0f * (float)i;                          /* -80 .. -20 */
    }
    for (int v = 0; v < 2; v++) {
        check(GLC_ACT_ELU, v, xe, 16, 1e-6, 0);
        check(GLC_ACT_SOFTPLUS, v, xs, 16, 1e-6, 0);
    }
}

static void test_activation__boundaries_follow_reference(void **state) {
    (void)state;
    /* ThresholdedRelu at x == alpha is 0 (x > alpha); LeakyRelu and Elu at 0 give 0;
     * HardSigmoid saturates at exactly 0 and 1. */
    float x[8] = {0.5f, 0.0f, -0.0f, -2.5f, 2.5f, 100.0f, -100.0f, 0.25f}, y[8];
    kernel(GLC_ACT_THRESHOLDED_RELU, false)(x, y, 8);
    assert_true(y[0] == 0.0f && y[4] == 2.5f && y[7] == 0.0f);
    kernel(GLC_ACT_HARD_SIGMOID, true)(x, y, 8);
    assert_true(y[3] == 0.0f && y[4] == 1.0f && y[1] == 0.5f);
    kernel(GLC_ACT_ELU, true)(x, y, 8);
    assert_true(y[1] == 0.0f && y[6] < -1.09f && y[6] > -1.11f);
    kernel(GLC_ACT_SOFTPLUS, false)(x, y, 8);
    assert_true(y[5] == 100.0f && y[6] > 0.0f && y[6] < 1e-40f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation__all_kinds_match_reference_on_scalars),
        cmocka_unit_test(test_activation__all_kinds_match_reference_on_vectors),
        cmocka_unit_test(test_activation__elu_and_softplus_keep_relative_accuracy),
        cmocka_unit_test(test_activation__boundaries_follow_reference),
    };
    return cmocka_run_group_tests_name("activation", tests, group_setup, group_teardown);
}
