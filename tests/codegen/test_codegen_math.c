/* test_codegen_math.c -- accuracy of the IR exp/tanh/sigmoid/log against libm over dense
 * sweeps: 1e6 points, max relative error <= 1e-6 where the result is a normal float. */
#define _DEFAULT_SOURCE
#include "cg_test_util.h"

#include "cg_testing.h"

#include <dlfcn.h>

typedef void (*kern_fn)(const float *, float *, int64_t);

static void *H;

static int group_setup(void **state) {
    (void)state;
    if (cg_make_tmpdir()) return -1;
    char path[700];
    snprintf(path, sizeof path, "%s/math.so", cg_tmpdir);
    glc_codegen_options o = glc_codegen_defaults();
    glc_diag d;
    memset(&d, 0, sizeof d);
    if (glc_codegen_emit_math(&o, path, &d)) {
        fprintf(stderr, "emit_math: %s\n", d.msg);
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

enum { N = 1000000 };

static double sweep(const char *sym, double lo, double hi, double (*ref)(double)) {
    kern_fn f;
    *(void **)&f = dlsym(H, sym);
    assert_non_null(f);
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++)
        x[i] = (float)(lo + (hi - lo) * i / (N - 1));
    f(x, y, N);
    double worst = 0, wx = 0;
    for (int i = 0; i < N; i++) {
        double r = ref(x[i]);
        if (isinf((float)r)) assert_true(isinf(y[i]));
        if (!isfinite((float)r) || fabs(r) < 1.17549435e-38) continue;
        double e = fabs(y[i] - r) / fabs(r);
        if (e > worst) worst = e, wx = x[i];
    }
    free(x);
    free(y);
    printf("%s: max relative error %.3g at x = %.9g\n", sym, worst, wx);
    return worst;
}

static double sig(double x) {
    return 1.0 / (1.0 + exp(-x));
}

static void test_codegen_math__exp_relative_error_below_1e6(void **state) {
    (void)state;
    double e = sweep("glc_test_exp", -90, 90, exp);
    assert_true(e <= 1e-6);
}

static void test_codegen_math__tanh_and_sigmoid_relative_error_below_1e6(void **state) {
    (void)state;
    assert_true(sweep("glc_test_tanh", -20, 20, tanh) <= 1e-6);
    assert_true(sweep("glc_test_sigmoid", -20, 20, sig) <= 1e-6);
}

static void test_codegen_math__special_values(void **state) {
    (void)state;
    kern_fn fe, ft, fs;
    *(void **)&fe = dlsym(H, "glc_test_exp");
    *(void **)&ft = dlsym(H, "glc_test_tanh");
    *(void **)&fs = dlsym(H, "glc_test_sigmoid");
    float x[6] = {NAN, INFINITY, -INFINITY, 100.0f, -110.0f, -100.0f}, y[6];
    fe(x, y, 6);
    assert_true(isnan(y[0]));
    assert_true(isinf(y[1]) && y[1] > 0);
    assert_true(y[2] == 0.0f && y[4] == 0.0f);
    assert_true(isinf(y[3]));
    assert_true(y[5] > 0.0f && fabs(y[5] - expf(-100.0f)) <= 1e-45f * 4); /* denormal */
    ft(x, y, 6);
    assert_true(isnan(y[0]) && y[1] == 1.0f && y[2] == -1.0f);
    fs(x, y, 6);
    assert_true(isnan(y[0]) && y[1] == 1.0f && y[2] == 0.0f);
}

/* log over n points spaced evenly in log2 from 2^lo to 2^hi (or linearly when lin). */
static double sweep_log(double lo, double hi, bool lin) {
    kern_fn f;
    *(void **)&f = dlsym(H, "glc_test_log");
    assert_non_null(f);
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++)
        x[i] = (float)(lin ? lo + (hi - lo) * i / (N - 1) : exp2(lo + (hi - lo) * i / (N - 1)));
    f(x, y, N);
    double worst = 0, wx = 0;
    for (int i = 0; i < N; i++) {
        double r = log(x[i]);
        /* relative to the result, or absolute near x = 1 where log x -> 0 */
        double e = fabs(y[i] - r) / fmax(fabs(r), 1e-2);
        if (e > worst) worst = e, wx = x[i];
    }
    free(x);
    free(y);
    printf("glc_test_log [%g, %g]: max error %.3g at x = %.9g\n", lo, hi, worst, wx);
    return worst;
}

static void test_codegen_math__log_relative_error_below_1e6(void **state) {
    (void)state;
    assert_true(sweep_log(-149, 128, false) <= 1e-6); /* subnormals to FLT_MAX */
    assert_true(sweep_log(0.5, 2.0, true) <= 1e-6);
    assert_true(sweep_log(0.999, 1.001, true) <= 1e-6);
}

static void test_codegen_math__log_special_values(void **state) {
    (void)state;
    kern_fn fl;
    *(void **)&fl = dlsym(H, "glc_test_log");
    float x[7] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, -1.0f, 1.0f}, y[7];
    fl(x, y, 7);
    assert_true(isnan(y[0]) && isinf(y[1]) && y[1] > 0 && isnan(y[2]));
    assert_true(isinf(y[3]) && y[3] < 0 && isinf(y[4]) && y[4] < 0);
    assert_true(isnan(y[5]) && y[6] == 0.0f);
}

/* Max error of kernel sym against ref over [lo, hi]: relative to the result, absolute
 * where |result| < floor (near a zero of the function, where a float argument itself is
 * only that accurate). */
static double sweep_mixed(const char *sym, double lo, double hi, double (*ref)(double),
                          double floor) {
    kern_fn f;
    *(void **)&f = dlsym(H, sym);
    assert_non_null(f);
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++)
        x[i] = (float)(lo + (hi - lo) * i / (N - 1));
    f(x, y, N);
    double worst = 0, wx = 0;
    for (int i = 0; i < N; i++) {
        double r = ref(x[i]);
        if (!isfinite((float)r)) continue;
        double e = fabs(y[i] - r) / fmax(fabs(r), floor);
        if (!(e <= worst)) worst = e, wx = x[i];
    }
    free(x);
    free(y);
    printf("%s [%g, %g]: max error %.3g at x = %.9g\n", sym, lo, hi, worst, wx);
    return worst;
}

static double sinh_(double x) { return sinh(x); }
static double cosh_(double x) { return cosh(x); }

/* The elementwise ops' functions, well inside ONNX's node-test tolerance (1e-3 relative):
 * a few ulp of f32, relative to the result (absolute near the zeros of sin, cos, tan). */
static void test_codegen_math__trigonometric_functions_within_a_few_ulp(void **state) {
    (void)state;
    assert_true(sweep_mixed("glc_test_sin", -100, 100, sin, 1e-6) <= 1e-6);
    assert_true(sweep_mixed("glc_test_cos", -100, 100, cos, 1e-6) <= 1e-6);
    assert_true(sweep_mixed("glc_test_tan", -1.5, 1.5, tan, 1e-6) <= 1e-6);
    assert_true(sweep_mixed("glc_test_sin", -1e-3, 1e-3, sin, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_atan", -100, 100, atan, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_asin", -1, 1, asin, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_acos", -1, 1, acos, 1e-30) <= 1e-6);
}

static void test_codegen_math__hyperbolic_functions_within_a_few_ulp(void **state) {
    (void)state;
    assert_true(sweep_mixed("glc_test_sinh", -88, 88, sinh_, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_sinh", -1e-3, 1e-3, sinh_, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_cosh", -88, 88, cosh_, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_asinh", -1e4, 1e4, asinh, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_asinh", -1e-3, 1e-3, asinh, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_acosh", 1, 1e4, acosh, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_atanh", -0.999, 0.999, atanh, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_expm1", -20, 20, expm1, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_log1p", -0.999, 100, log1p, 1e-30) <= 1e-6);
}

static void test_codegen_math__erf_and_erfc_within_a_few_ulp(void **state) {
    (void)state;
    assert_true(sweep_mixed("glc_test_erf", -6, 6, erf, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_erf", -1e-3, 1e-3, erf, 1e-30) <= 1e-6);
    assert_true(sweep_mixed("glc_test_erfc", -6, 9, erfc, 1e-30) <= 1e-6);
}

static void test_codegen_math__more_special_values(void **state) {
    (void)state;
    static const char *const nan_in_nan_out[] = {"glc_test_sin", "glc_test_cos", "glc_test_atan",
                                                 "glc_test_erf", "glc_test_erfc", "glc_test_expm1",
                                                 "glc_test_log1p", "glc_test_asinh"};
    for (size_t k = 0; k < sizeof nan_in_nan_out / sizeof nan_in_nan_out[0]; k++) {
        kern_fn f;
        *(void **)&f = dlsym(H, nan_in_nan_out[k]);
        float x[1] = {NAN}, y[1];
        f(x, y, 1);
        if (!isnan(y[0])) fail_msg("%s(NaN) = %g", nan_in_nan_out[k], y[0]);
    }
    kern_fn f;
    float x[4] = {INFINITY, -INFINITY, 2.0f, -1.0f}, y[4];
    *(void **)&f = dlsym(H, "glc_test_sin");
    f(x, y, 2);
    assert_true(isnan(y[0]) && isnan(y[1]));
    *(void **)&f = dlsym(H, "glc_test_atan");
    f(x, y, 2);
    assert_true(fabsf(y[0] - (float)M_PI_2) < 1e-7f && fabsf(y[1] + (float)M_PI_2) < 1e-7f);
    *(void **)&f = dlsym(H, "glc_test_erf");
    f(x, y, 2);
    assert_true(y[0] == 1.0f && y[1] == -1.0f);
    *(void **)&f = dlsym(H, "glc_test_asin");
    f(x + 2, y, 2); /* |x| > 1: NaN; -1: -pi/2 */
    assert_true(isnan(y[0]) && fabsf(y[1] + (float)M_PI_2) < 1e-6f);
    *(void **)&f = dlsym(H, "glc_test_log1p");
    f(x, y, 4);
    assert_true(y[0] == INFINITY && isnan(y[1]) && isinf(y[3]) && y[3] < 0);
    *(void **)&f = dlsym(H, "glc_test_atanh");
    float one[1] = {1.0f};
    f(one, y, 1);
    assert_true(y[0] == INFINITY);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codegen_math__exp_relative_error_below_1e6),
        cmocka_unit_test(test_codegen_math__tanh_and_sigmoid_relative_error_below_1e6),
        cmocka_unit_test(test_codegen_math__special_values),
        cmocka_unit_test(test_codegen_math__log_relative_error_below_1e6),
        cmocka_unit_test(test_codegen_math__log_special_values),
        cmocka_unit_test(test_codegen_math__trigonometric_functions_within_a_few_ulp),
        cmocka_unit_test(test_codegen_math__hyperbolic_functions_within_a_few_ulp),
        cmocka_unit_test(test_codegen_math__erf_and_erfc_within_a_few_ulp),
        cmocka_unit_test(test_codegen_math__more_special_values),
    };
    return cmocka_run_group_tests_name("codegen_math", tests, group_setup, group_teardown);
}
