/* test_dim.c -- symbolic dimensions: canonical forms, division, max/min, constraints,
 * evaluation and printing. */
#include "ir_test_util.h"

#include <string.h>

static glc_graph *G;

static int setup(void **state) {
    (void)state;
    G = glc_graph_create();
    return G ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    glc_graph_destroy(G);
    return 0;
}

static const char *str(glc_dim d) {
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    return glc_dim_str(G, d, buf[k], sizeof buf[k]);
}

static void test_dim__equal_names_are_one_symbol(void **state) {
    (void)state;
    glc_dim b1 = glc_dim_symbol(G, "batch"), b2 = glc_dim_symbol(G, "batch");
    glc_dim t = glc_dim_symbol(G, "T");
    assert_true(glc_dim_is_sym(b1));
    assert_int_equal(b1, b2);
    assert_int_not_equal(b1, t);
    assert_int_equal(G->n_syms, 2);
    assert_int_equal(glc_dim_symbol_index(G, t), 1);
    assert_int_equal(glc_dim_symbol_index(G, glc_dim_add(G, t, 1)), -1);
}

static void test_dim__sums_and_products_are_canonical(void **state) {
    (void)state;
    glc_dim b = glc_dim_symbol(G, "B"), t = glc_dim_symbol(G, "T");
    assert_int_equal(glc_dim_mul(G, b, t), glc_dim_mul(G, t, b));
    glc_dim x = glc_dim_add(G, glc_dim_add(G, t, 2), -1);
    assert_int_equal(x, glc_dim_add(G, t, 1));
    assert_string_equal(str(x), "T + 1");
    assert_int_equal(glc_dim_sub(G, x, t), 1); /* a constant is stored as itself */
    glc_dim y = glc_dim_sub(G, glc_dim_mul(G, glc_dim_add(G, b, 1), t), t);
    assert_int_equal(y, glc_dim_mul(G, b, t));
    assert_string_equal(str(glc_dim_add(G, glc_dim_mul(G, t, 3), glc_dim_mul(G, b, b))),
                        "3*T + B*B");
    assert_int_equal(glc_dim_mul(G, 6, 7), 42);
}

static void test_dim__division_by_a_constant_divides_exactly_or_keeps_the_rest(void **state) {
    (void)state;
    glc_dim b = glc_dim_symbol(G, "B"), t = glc_dim_symbol(G, "T"), w = glc_dim_symbol(G, "W");
    glc_dim bt64 = glc_dim_prod(G, (glc_dim[]){b, t, 64}, 0, 3);
    assert_int_equal(glc_dim_floordiv(G, bt64, 64), glc_dim_mul(G, b, t));
    assert_int_equal(glc_dim_floordiv(G, glc_dim_add(G, glc_dim_mul(G, t, 2), 3), 2),
                     glc_dim_add(G, t, 1));
    /* conv output, stride 2, kernel 3, pads 1+1: floor((W + 2 - 3) / 2) + 1 */
    glc_dim o = glc_dim_add(G, glc_dim_floordiv(G, glc_dim_sub(G, w, 1), 2), 1);
    assert_string_equal(str(o), "floor((W + 1) / 2)");
    assert_int_equal(glc_dim_ceildiv(G, glc_dim_mul(G, w, 4), 4), w);
    assert_int_equal(glc_dim_mod(G, glc_dim_mul(G, w, 4), 2), 0);
}

static void test_dim__division_by_a_symbol_is_exact_when_it_divides(void **state) {
    (void)state;
    glc_dim b = glc_dim_symbol(G, "B"), t = glc_dim_symbol(G, "T");
    glc_dim n = glc_dim_prod(G, (glc_dim[]){b, t, 64}, 0, 3);
    assert_int_equal(glc_dim_floordiv(G, n, glc_dim_mul(G, b, 64)), t);
    assert_int_equal(glc_dim_floordiv(G, n, glc_dim_mul(G, b, t)), 64);
    glc_dim q = glc_dim_floordiv(G, glc_dim_add(G, t, 1), b);
    assert_true(glc_dim_is_sym(q));
    assert_string_equal(str(q), "floor((T + 1) / B)");
}

/* A workspace layout's offsets: each a max of expressions of the one before, so the
 * chain of 300 shares every subexpression; its range is found in linear time (without a
 * memo of the atoms' ranges this is 2^300 steps: the test would not end). */
static void test_dim__ranges_of_deep_shared_expressions_take_linear_time(void **state) {
    (void)state;
    glc_dim n = glc_dim_symbol(G, "N"), m = glc_dim_symbol(G, "M"), o = n;
    for (int i = 0; i < 300; i++)
        o = glc_dim_max(G, glc_dim_add(G, o, n), glc_dim_add(G, o, m));
    assert_true(glc_dim_is_sym(o));
    assert_true(glc_dim_nonneg(G, o));
    assert_true(glc_dim_known_ge(G, o, 301));
    assert_false(glc_dim_known_ge(G, n, o));
}

static void test_dim__max_min_simplify_over_the_symbols_ranges(void **state) {
    (void)state;
    glc_dim t = glc_dim_symbol(G, "T"), u = glc_dim_symbol(G, "U");
    assert_int_equal(glc_dim_max(G, t, 0), t);
    assert_int_equal(glc_dim_min(G, glc_dim_add(G, t, 3), t), t);
    assert_int_equal(glc_dim_max(G, t, u), glc_dim_max(G, u, t));
    assert_string_equal(str(glc_dim_min(G, t, 5)), "min(T, 5)");
    assert_true(glc_dim_known_ge(G, glc_dim_mul(G, t, u), 0));
    assert_true(glc_dim_known_ge(G, t, 1)); /* symbols are at least 1 */
    assert_false(glc_dim_known_ge(G, t, 2));
    assert_int_equal(glc_dim_max(G, glc_dim_sub(G, t, 1), 0), glc_dim_sub(G, t, 1));
    assert_int_equal(glc_dim_min(G, t, INT64_MAX / 4), t); /* beyond GLC_DIM_SYM_MAX */
    assert_true(glc_dim_is_sym(glc_dim_min(G, t, GLC_DIM_SYM_MAX - 1)));
    G->syms[glc_dim_symbol_index(G, t)].max = 100;
    assert_int_equal(glc_dim_min(G, t, 100), t);
}

static void test_dim__constants_overflowing_or_dividing_by_zero_are_errors(void **state) {
    (void)state;
    assert_false(glc_dim_failed(G));
    assert_int_equal(glc_dim_mul(G, INT64_MAX / 2, 3), GLC_DIM_ERR);
    assert_true(glc_dim_failed(G));
    glc_dim_clear_error(G);
    assert_int_equal(glc_dim_floordiv(G, glc_dim_symbol(G, "T"), 0), GLC_DIM_ERR);
    assert_int_equal(glc_dim_add(G, GLC_DIM_ERR, 1), GLC_DIM_ERR);
}

static void test_dim__eval_and_upper_bound(void **state) {
    (void)state;
    glc_dim b = glc_dim_symbol(G, "B"), t = glc_dim_symbol(G, "T");
    glc_dim e = glc_dim_add(G, glc_dim_floordiv(G, glc_dim_mul(G, b, t), 3), glc_dim_max(G, b, t));
    int64_t v = 0;
    assert_true(glc_dim_eval(G, e, (int64_t[]){4, 5}, &v));
    assert_int_equal(v, 20 / 3 + 5);
    assert_false(glc_dim_eval(G, glc_dim_mul(G, b, t), (int64_t[]){INT64_MAX / 2, 3}, &v));
    assert_false(glc_dim_upper_bound(G, e, &v));
    G->syms[0].max = 8;
    G->syms[1].max = 100;
    assert_true(glc_dim_upper_bound(G, e, &v));
    assert_int_equal(v, 800 / 3 + 100);
}

static uint32_t n_cons(void) {
    uint32_t n;
    glc_dim_constraints(G, &n);
    return n;
}

static void test_dim__requirements_are_dropped_recorded_or_refused(void **state) {
    (void)state;
    glc_dim b = glc_dim_symbol(G, "B"), t = glc_dim_symbol(G, "T");
    assert_int_equal(glc_dim_require_eq(G, b, b, NULL, "same"), GLC_OK);
    assert_int_equal(glc_dim_require_eq(G, 3, 4, NULL, "consts"), GLC_E_SHAPE);
    assert_int_equal(glc_dim_require_eq(G, glc_dim_add(G, t, 1), t, NULL, "off by one"),
                     GLC_E_SHAPE);
    assert_int_equal(n_cons(), 0);
    assert_int_equal(glc_dim_require_eq(G, b, t, NULL, "b == t"), GLC_OK);
    assert_int_equal(glc_dim_require_eq(G, b, t, NULL, "again"), GLC_OK);
    assert_int_equal(n_cons(), 1);
    assert_int_equal(glc_dim_require_ge(G, glc_dim_add(G, t, 1), t, NULL, "ge"), GLC_OK);
    assert_int_equal(glc_dim_require_ge(G, t, glc_dim_add(G, t, 1), NULL, "never"), GLC_E_SHAPE);
    assert_int_equal(glc_dim_require_ge(G, glc_dim_sub(G, t, 2), 0, NULL, "T >= 2"), GLC_OK);
    assert_int_equal(n_cons(), 2);
    uint32_t n;
    assert_int_equal(glc_dim_constraints(G, &n)[1].rel, GLC_DIM_GE);
    assert_string_equal(glc_dim_constraints(G, &n)[1].what, "T >= 2");
}

static void test_dim__many_expressions_stay_interned(void **state) {
    (void)state;
    glc_dim t = glc_dim_symbol(G, "T");
    glc_dim first[300];
    for (int i = 0; i < 3; i++)
        first[i] = glc_dim_add(G, glc_dim_mul(G, t, i + 2), i);
    for (int i = 0; i < 3; i++)
        assert_int_equal(glc_dim_add(G, glc_dim_mul(G, t, i + 2), i), first[i]);
    glc_dim s[300];
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        s[i] = glc_dim_symbol(G, name);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(glc_dim_symbol_index(G, s[i]), i + 1);
    assert_false(glc_dim_failed(G));
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_dim__equal_names_are_one_symbol),
        T(test_dim__sums_and_products_are_canonical),
        T(test_dim__division_by_a_constant_divides_exactly_or_keeps_the_rest),
        T(test_dim__division_by_a_symbol_is_exact_when_it_divides),
        T(test_dim__ranges_of_deep_shared_expressions_take_linear_time),
        T(test_dim__max_min_simplify_over_the_symbols_ranges),
        T(test_dim__constants_overflowing_or_dividing_by_zero_are_errors),
        T(test_dim__eval_and_upper_bound),
        T(test_dim__requirements_are_dropped_recorded_or_refused),
        T(test_dim__many_expressions_stay_interned),
    };
    return cmocka_run_group_tests_name("dim", tests, NULL, NULL);
}
