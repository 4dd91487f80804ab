/*
 * build.h -- small helpers for building IR graphs in tests.
 * Header-only (static functions); include after <cmocka.h>.
 */
#ifndef GLC_TESTS_SUPPORT_BUILD_H
#define GLC_TESTS_SUPPORT_BUILD_H

#include "ir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value with dtype and shape, not yet produced. */
static inline glc_value_id tb_value(glc_graph *g, const char *name, glc_dtype dt, int rank,
                                    const int64_t *dims) {
    glc_value_id v = glc_graph_add_value(g, name, dt, rank, dims);
    assert_int_not_equal(v, 0);
    return v;
}

static inline glc_value_id tb_input(glc_graph *g, const char *name, int rank,
                                    const int64_t *dims) {
    glc_value_id v = tb_value(g, name, GLC_DT_F32, rank, dims);
    assert_int_equal(glc_graph_add_input(g, v), GLC_OK);
    return v;
}

static inline glc_value_id tb_const_f32(glc_graph *g, const char *name, int rank,
                                        const int64_t *dims, const float *data) {
    glc_value_id v = glc_graph_add_const(g, name, GLC_DT_F32, rank, dims, data);
    assert_int_not_equal(v, 0);
    return v;
}

static inline glc_value_id tb_const_i64(glc_graph *g, const char *name, int rank,
                                        const int64_t *dims, const int64_t *data) {
    glc_value_id v = glc_graph_add_const(g, name, GLC_DT_I64, rank, dims, data);
    assert_int_not_equal(v, 0);
    return v;
}

/* Adds node op(in...) -> one new output value named out_name; returns the output. */
static inline glc_value_id tb_node(glc_graph *g, glc_op op, const char *name,
                                   const glc_value_id *in, int n_in, const char *out_name) {
    glc_value_id out = glc_graph_add_value(g, out_name, GLC_DT_UNDEF, 0, NULL);
    assert_int_not_equal(out, 0);
    assert_int_not_equal(glc_graph_add_node(g, op, name, in, n_in, &out, 1), GLC_NO_NODE);
    return out;
}

/* The graph's text (glc_graph_print); caller frees. */
static inline char *tb_dump(const glc_graph *g) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    glc_graph_print(g, f);
    fclose(f);
    return buf;
}

/* Runs pass on g and checks that g's text is unchanged. */
static inline void tb_check_unchanged(glc_graph *g, void (*pass)(glc_graph *)) {
    char *before = tb_dump(g);
    pass(g);
    char *after = tb_dump(g);
    assert_string_equal(before, after);
    free(before);
    free(after);
}

/* Runs pass on a graph without recurrences (MatMul then Tanh, shapes inferred) and
 * checks that its text is unchanged. */
static inline void tb_check_plain_graph_unchanged(void (*pass)(glc_graph *)) {
    glc_graph *g = glc_graph_create();
    g->opset = 17;
    glc_value_id in[2] = {tb_input(g, "a", 2, (int64_t[]){2, 3}),
                          tb_input(g, "b", 2, (int64_t[]){3, 4})};
    glc_value_id y = tb_node(g, GLC_OP_MATMUL, "mm", in, 2, "y");
    glc_graph_add_output(g, tb_node(g, GLC_OP_TANH, "t", &y, 1, "z"));
    glc_diag d = {0};
    assert_int_equal(glc_infer_shapes(g, &d), GLC_OK);
    tb_check_unchanged(g, pass);
    glc_graph_destroy(g);
}

/* How many attributes of node n are called name (a pass that sets one must not add a
 * second). */
static inline int tb_attr_count(const glc_node *n, const char *name) {
    int k = 0;
    for (uint16_t i = 0; i < n->n_attrs; i++)
        k += !strcmp(n->attrs[i].name, name);
    return k;
}

/* The first live node of op in g (not its bodies), or NULL. */
static inline const glc_node *tb_first_node(const glc_graph *g, glc_op op) {
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op) return &g->nodes[i];
    return NULL;
}

/* How many live nodes of op g has (any op: GLC_OP_NONE), not counting its bodies'. */
static inline int tb_live_nodes(const glc_graph *g, glc_op op) {
    int k = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].dead && (op == GLC_OP_NONE || g->nodes[i].op == op)) k++;
    return k;
}

#endif
