/* ir_test_util.h -- small graph-building helpers shared by the ir/ tests. */
#ifndef GLC_TESTS_IR_TEST_UTIL_H
#define GLC_TESTS_IR_TEST_UTIL_H

#include "ir.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* An f32 graph input of the given shape. */
static inline glc_value_id tu_input(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                    const int64_t *dims) {
    glc_value_id v = glc_graph_add_value(g, name, dt, rank, dims);
    assert_int_equal(glc_graph_add_input(g, v), GLC_OK);
    return v;
}

/* A node with one output value (shape to be inferred); returns the output id. */
static inline glc_value_id tu_node(glc_graph *g, glc_op op, const char *name,
                                   const glc_value_id *in, int n_in, glc_node_id *nid) {
    char oname[64];
    snprintf(oname, sizeof oname, "%s_out", name);
    glc_value_id y = glc_graph_add_value(g, oname, GLC_DT_UNDEF, 0, NULL);
    glc_node_id id = glc_graph_add_node(g, op, name, in, n_in, &y, 1);
    assert_int_not_equal(id, GLC_NO_NODE);
    if (nid) *nid = id;
    return y;
}

static inline void tu_assert_shape(const glc_graph *g, glc_value_id v, glc_dtype dt, int rank,
                                   const int64_t *dims) {
    const glc_value *x = &g->values[v];
    assert_int_equal(x->dtype, dt);
    assert_int_equal(x->rank, rank);
    for (int i = 0; i < rank; i++) assert_int_equal(x->dims[i], dims[i]);
}

static inline void tu_assert_floats(const float *got, const float *want, int n) {
    for (int i = 0; i < n; i++) {
        if (fabsf(got[i] - want[i]) > 1e-5f * (1.0f + fabsf(want[i])))
            fail_msg("element %d: got %.9g want %.9g", i, (double)got[i], (double)want[i]);
    }
}

#endif
