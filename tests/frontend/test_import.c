/*
 * test_import.c -- ONNX import: graph structure, constants, attributes, ordering, and
 * every diagnostic (status, message, node). Fixtures come from
 * tests/fixtures/frontend/gen_fixtures.py; broken files are made at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "files.h"
#include "frontend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIX GLC_TEST_SRC "/fixtures/frontend/"

static glc_status import(const char *name, glc_graph **g, glc_diag *d) {
    char path[512];
    snprintf(path, sizeof path, FIX "%s", name);
    memset(d, 0, sizeof *d);
    glc_status s = glc_import_onnx_file(path, g, d);
    if (s != GLC_OK) assert_null(*g);
    return s;
}

static const glc_value *value(const glc_graph *g, const char *name) {
    glc_value_id v = glc_graph_find_value(g, name);
    assert_int_not_equal(v, 0);
    return &g->values[v];
}

static const glc_node *node(const glc_graph *g, const char *name) {
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name)) return &g->nodes[i];
    fail_msg("no node '%s'", name);
    return NULL;
}

static void assert_contains(const char *haystack, const char *needle) {
    if (!strstr(haystack, needle)) fail_msg("'%s' does not contain '%s'", haystack, needle);
}

static void assert_shape(const glc_value *v, glc_dtype dt, int rank, const int64_t *dims) {
    assert_int_equal(v->dtype, dt);
    assert_int_equal(v->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(v->dims[i], dims[i]);
}

/* ---- a model that imports ------------------------------------------------------------ */

static void test_import__basic_model_has_inputs_outputs_and_opsets(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("basic.onnx", &g, &d), GLC_OK);
    assert_string_equal(g->name, "basic");
    assert_int_equal(g->opset, 13);
    assert_int_equal(g->opset_glc, 1);
    assert_int_equal(g->n_inputs, 1);
    const glc_value *x = &g->values[g->inputs[0]];
    assert_string_equal(x->name, "x");
    assert_shape(x, GLC_DT_F32, 2, (int64_t[]){2, 2});
    assert_true(x->is_input);
    assert_null(x->data);
    assert_int_equal(g->n_outputs, 2);
    assert_string_equal(g->values[g->outputs[0]].name, "out");
    assert_string_equal(g->values[g->outputs[1]].name, "flat");
    assert_shape(&g->values[g->outputs[0]], GLC_DT_F32, 2, (int64_t[]){1, 4});
    assert_shape(&g->values[g->outputs[1]], GLC_DT_F32, 1, (int64_t[]){4});
    glc_graph_destroy(g);
}

static void test_import__initializers_decode_raw_and_typed_fields(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("basic.onnx", &g, &d), GLC_OK);
    const glc_value *w = value(g, "W"); /* raw_data */
    assert_shape(w, GLC_DT_F32, 2, (int64_t[]){2, 2});
    assert_memory_equal(w->data, ((float[]){1, 2, 3, 4}), 16);
    assert_int_equal(w->producer, GLC_NO_NODE);
    assert_memory_equal(value(g, "B")->data, ((float[]){0.5f, -0.5f}), 8);   /* float_data */
    assert_memory_equal(value(g, "S")->data, ((int64_t[]){1, 4}), 16);       /* int64_data */
    assert_memory_equal(value(g, "flags")->data, ((uint8_t[]){1, 0, 1}), 3); /* int32_data */
    assert_memory_equal(value(g, "bytes")->data, ((uint8_t[]){7, 255}), 2);
    assert_memory_equal(value(g, "small")->data, ((int16_t[]){-3, 300}), 4);
    assert_memory_equal(value(g, "i32")->data, ((int32_t[]){-1, 65536}), 8);
    assert_memory_equal(value(g, "dbl")->data, ((double[]){0.25, -1.0}), 16); /* double_data */
    const glc_value *big = value(g, "big");                                   /* uint64_data */
    assert_int_equal(big->dtype, GLC_DT_U64);
    assert_memory_equal(big->data, ((uint64_t[]){(UINT64_C(1) << 63) + 5}), 8);
    assert_int_equal(value(g, "flags")->dtype, GLC_DT_BOOL);
    assert_int_equal(value(g, "small")->dtype, GLC_DT_I16);
    glc_graph_destroy(g);
}

static void test_import__constant_nodes_become_constant_values(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("basic.onnx", &g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 8); /* 11 ONNX nodes minus 3 Constants */
    const glc_value *two = value(g, "two"), *cb = value(g, "cb"), *s4 = value(g, "shape4");
    assert_shape(two, GLC_DT_F32, 0, NULL);
    assert_memory_equal(two->data, ((float[]){2.0f}), 4);
    assert_shape(cb, GLC_DT_F32, 1, (int64_t[]){2});
    assert_memory_equal(cb->data, ((float[]){1.0f, 2.0f}), 8);
    assert_shape(s4, GLC_DT_I64, 1, (int64_t[]){1});
    assert_memory_equal(s4->data, ((int64_t[]){4}), 8);
    const glc_node *mul = node(g, "mul_two");
    assert_int_equal(mul->op, GLC_OP_MUL);
    assert_int_equal(mul->in[1], glc_graph_find_value(g, "two"));
    glc_graph_destroy(g);
}

static void test_import__nodes_map_ops_and_wire_values(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("basic.onnx", &g, &d), GLC_OK);
    static const glc_op ops[] = {GLC_OP_MATMUL, GLC_OP_ADD,     GLC_OP_MUL,      GLC_OP_ADD,
                                 GLC_OP_RELU,   GLC_OP_RESHAPE, GLC_OP_IDENTITY, GLC_OP_RESHAPE};
    for (uint32_t i = 0; i < g->n_nodes; i++)
        assert_int_equal(g->nodes[i].op, ops[i]);
    const glc_node *mm = node(g, "mm");
    assert_int_equal(mm->n_in, 2);
    assert_int_equal(mm->in[0], g->inputs[0]);
    assert_int_equal(mm->in[1], glc_graph_find_value(g, "W"));
    assert_int_equal(g->values[mm->out[0]].producer, 0);
    assert_true(g->nodes[3].name[0] != '\0'); /* the unnamed Add got a made-up name */
    glc_graph_destroy(g);
}

static void test_import__every_attribute_kind_is_read(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("basic.onnx", &g, &d), GLC_OK);
    const glc_node *n = node(g, "attrs");
    assert_int_equal(n->n_attrs, 15);
    assert_true(glc_attr_float(n, "f", 0) == 1.5f);
    assert_int_equal(glc_attr_int(n, "i", 0), -7);
    assert_string_equal(glc_attr_string(n, "s", ""), "hello");
    uint32_t count;
    const float *fl = glc_attr_floats(n, "floats", &count);
    assert_int_equal(count, 2);
    assert_true(fl[0] == 1.0f && fl[1] == 2.5f);
    const int64_t *is = glc_attr_ints(n, "ints", &count);
    assert_int_equal(count, 3);
    assert_memory_equal(is, ((int64_t[]){4, 5, 6}), 24);
    assert_non_null(glc_attr_ints(n, "no_ints", &count));
    assert_int_equal(count, 0);
    const glc_attr *ss = glc_node_attr(n, "strings");
    assert_int_equal(ss->kind, GLC_ATTR_STRINGS);
    assert_int_equal(ss->n, 2);
    assert_string_equal(ss->strings[1], "bc");
    const glc_attr *t = glc_node_attr(n, "t");
    assert_int_equal(t->kind, GLC_ATTR_TENSOR);
    assert_int_equal(t->t->dtype, GLC_DT_I32);
    assert_int_equal(t->t->dims[0], 3);
    assert_memory_equal(t->t->data, ((int32_t[]){1, 2, 3}), 12);
    const glc_attr *ts = glc_node_attr(n, "tensors");
    assert_int_equal(ts->n, 2);
    assert_int_equal(ts->tensors[1].dtype, GLC_DT_F32);
    assert_true(*(const float *)ts->tensors[1].data == 0.5f);
    static const struct {
        const char *name;
        glc_attr_kind kind;
    } kinds[] = {
        {"g", GLC_ATTR_GRAPH},
        {"graphs", GLC_ATTR_GRAPHS},
        {"sparse", GLC_ATTR_SPARSE_TENSOR},
        {"sparses", GLC_ATTR_SPARSE_TENSORS},
        {"tp", GLC_ATTR_TYPE_PROTO},
        {"tps", GLC_ATTR_TYPE_PROTOS},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        assert_int_equal(glc_node_attr(n, kinds[i].name)->kind, kinds[i].kind);
    glc_graph_destroy(g);
}

static void test_import__out_of_order_nodes_are_sorted(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("unordered.onnx", &g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 3);
    assert_string_equal(g->nodes[0].name, "first_a");
    assert_string_equal(g->nodes[1].name, "first_b");
    assert_string_equal(g->nodes[2].name, "second");
    assert_int_equal(g->nodes[2].in[0], g->nodes[1].out[0]);
    glc_graph_destroy(g);
}

static void test_import__empty_input_name_is_an_absent_input(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("optional_input.onnx", &g, &d), GLC_OK);
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->nodes[0].op, GLC_OP_GEMM);
    assert_int_equal(g->nodes[0].n_in, 3);
    assert_int_equal(g->nodes[0].in[2], 0);
    assert_null(glc_node_input(g, &g->nodes[0], 2));
    glc_graph_destroy(g);
}

/* ---- diagnostics ----------------------------------------------------------------------- */

static void test_import__unsupported_ops_are_listed_in_one_diagnostic(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("unsupported.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_string_equal(d.msg, "unsupported operators: ::LSTMX (nodes 'a', 'b'), "
                               "ai.glc::Foo (node 'c'), ::Bar (node #4)");
}

static glc_status import_opts(const char *name, const glc_import_options *o, glc_graph **g,
                              glc_diag *d) {
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/frontend/%s", GLC_TEST_SRC, name);
    glc_status s = glc_import_onnx_file_opts(path, o, g, d);
    if (s != GLC_OK) assert_null(*g);
    return s;
}

static void test_import__dim_param_becomes_a_symbol(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d = {0};
    glc_import_options o = {.skip_infer = true};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_OK);
    const glc_value *x = value(g, "x");
    assert_true(glc_dim_is_sym(x->dims[0]));
    assert_int_equal(x->dims[1], 4);
    assert_int_equal(glc_dim_symbol_index(g, x->dims[0]), glc_dim_find_symbol(g, "N"));
    glc_graph_destroy(g);
}

/* dim_param "?" (paddle2onnx's unknown) names nothing: each such dim is its own symbol,
 * "<input>.<axis>", not one symbol "?" that would make height equal width. */
static void test_import__question_mark_dim_params_are_distinct_symbols(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d = {0};
    glc_import_options o = {.skip_infer = true};
    assert_int_equal(import_opts("unnamed_params.onnx", &o, &g, &d), GLC_OK);
    const glc_value *x = value(g, "x");
    assert_int_equal(glc_dim_symbol_index(g, x->dims[2]), glc_dim_find_symbol(g, "x.2"));
    assert_int_equal(glc_dim_symbol_index(g, x->dims[3]), glc_dim_find_symbol(g, "x.3"));
    assert_int_equal(glc_dim_find_symbol(g, "?"), -1);
    glc_graph_destroy(g);
}

static void test_import__dim_binding_makes_the_input_static(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d = {0};
    glc_import_dim n3 = {"N", 3};
    glc_import_options o = {.dims = &n3, .n_dims = 1};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_OK);
    assert_shape(value(g, "x"), GLC_DT_F32, 2, (int64_t[]){3, 4});
    assert_shape(value(g, "y"), GLC_DT_F32, 2, (int64_t[]){3, 4});
    glc_graph_destroy(g);
    glc_import_shape sh = {"x", 2, {5, -1}, {NULL}};
    o = (glc_import_options){.shapes = &sh, .n_shapes = 1};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_OK);
    assert_shape(value(g, "y"), GLC_DT_F32, 2, (int64_t[]){5, 4});
    /* the size given to x's axis is N's everywhere, as --dim N=5: no symbol is left */
    assert_int_equal(glc_dim_find_symbol(g, "N"), -1);
    assert_int_equal(g->n_syms, 0);
    glc_graph_destroy(g);
}

/* md_lstm_8 reshapes its (N, 1, 16, 8, 8) MDLSTM output to the constant shape (4, 16, 8,
 * 8): inference requires 1024*N == 4096, which only N = 4 meets, so N is bound. */
static void test_import__symbol_fixed_by_a_linear_requirement_is_bound(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/../examples/mdlstm_diagonal/md_lstm_8/model.onnx",
             GLC_TEST_SRC);
    glc_import_shape sh = {"X", 4, {0, 1, 8, 8}, {"N"}};
    glc_import_options o = {.shapes = &sh, .n_shapes = 1};
    assert_int_equal(glc_import_onnx_file_opts(path, &o, &g, &d), GLC_OK);
    assert_shape(value(g, "X"), GLC_DT_F32, 4, (int64_t[]){4, 1, 8, 8});
    assert_int_equal(glc_dim_find_symbol(g, "N"), -1);
    glc_graph_destroy(g);
}

static void test_import__dim_bindings_that_do_not_fit_are_argument_errors(void **state) {
    (void)state;
    glc_graph *g = NULL;
    glc_diag d = {0};
    glc_import_shape sh = {"x", 2, {5, 6}, {NULL}};
    glc_import_options o = {.shapes = &sh, .n_shapes = 1};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_E_ARG);
    assert_contains(d.msg, "--shape x: axis 1 is 4 in the model, not 6");
    sh = (glc_import_shape){"x", 3, {1, 2, 3}, {NULL}};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_E_ARG);
    assert_contains(d.msg, "--shape x has 3 dims; the model's input has rank 2");
    sh.input = "nope";
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_E_ARG);
    assert_contains(d.msg, "--shape nope: the model has no graph input of that name");
    glc_import_dim m = {"M", 2};
    o = (glc_import_options){.dims = &m, .n_dims = 1};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_E_ARG);
    assert_contains(d.msg, "--dim M: no input dim of the model is named so (its symbolic dims: N)");
    o = (glc_import_options){.max_dims = &m, .n_max_dims = 1};
    assert_int_equal(import_opts("dynamic.onnx", &o, &g, &d), GLC_E_ARG);
    assert_contains(d.msg, "--max-dim M: the model has no symbolic dim of that name");
}

static void test_import__undefined_input_names_the_node(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("dangling.onnx", &g, &d), GLC_E_PARSE);
    assert_string_equal(d.node, "n");
    assert_string_equal(d.msg, "input 'foo' is not defined");
    char line[512];
    d.file = "dangling.onnx";
    glc_diag_format(&d, line, sizeof line);
    assert_contains(line, "node 'n'");
    assert_contains(line, "input 'foo' is not defined");
}

static void test_import__cycle_is_a_parse_error_naming_a_node_on_it(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("cycle.onnx", &g, &d), GLC_E_PARSE);
    assert_contains(d.msg, "cycle");
    assert_true(!strcmp(d.node, "p") || !strcmp(d.node, "q"));
}

static void test_import__name_defined_twice_is_a_parse_error(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("defined_twice.onnx", &g, &d), GLC_E_PARSE);
    assert_string_equal(d.msg, "value 'y' is defined twice");
    assert_string_equal(d.node, "two");
}

static void test_import__initializer_size_mismatch_names_tensor_and_sizes(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("bad_initializer.onnx", &g, &d), GLC_E_PARSE);
    assert_contains(d.msg, "initializer 'W'");
    assert_contains(d.msg, "f32[2,3] needs 24 bytes");
    assert_contains(d.msg, "holds 20");
}

static void test_import__typed_field_count_mismatch_names_tensor_and_counts(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("bad_typed.onnx", &g, &d), GLC_E_PARSE);
    assert_string_equal(d.msg, "initializer 'V': f32[3] needs 3 elements, the tensor holds 2");
}

static void test_import__external_data_is_unsupported(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("external.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_contains(d.msg, "initializer 'W' uses external data");
}

static void test_import__undefined_graph_output_is_a_parse_error(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("missing_output.onnx", &g, &d), GLC_E_PARSE);
    assert_string_equal(d.msg, "graph output 'nope' is not defined");
}

static void test_import__sequence_output_is_unsupported(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("sequence_output.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_string_equal(d.msg, "output 'y' is not a tensor");
}

static void test_import__rank_above_limit_names_the_input(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("big_rank.onnx", &g, &d), GLC_E_LIMIT);
    assert_contains(d.msg, "the rank of input 'x' is 9; the limit is rank=8");
}

static void test_import__string_constant_is_unsupported_naming_the_node(void **state) {
    glc_graph *g = NULL;
    glc_diag d;
    assert_int_equal(import("constant_string.onnx", &g, &d), GLC_E_UNSUPPORTED);
    assert_string_equal(d.node, "kstr");
    assert_string_equal(d.op, "Constant");
    assert_contains(d.msg, "value_string");
}

/* ---- broken files ----------------------------------------------------------------------- */

static void test_import__truncated_model_is_a_parse_error(void **state) {
    size_t len;
    unsigned char *buf = tf_read_file(FIX "basic.onnx", &len);
    glc_graph *g = (glc_graph *)buf; /* must be reset to NULL */
    glc_diag d = {0};
    assert_int_equal(glc_import_onnx_buffer(buf, len / 2, &g, &d), GLC_E_PARSE);
    assert_null(g);
    assert_contains(d.msg, "not an ONNX model");
    free(buf);
}

/* Under the sanitizers this is a small fuzz: no prefix may crash, leak or half-succeed. */
static void test_import__every_prefix_of_a_model_fails_cleanly_or_imports(void **state) {
    size_t len;
    unsigned char *buf = tf_read_file(FIX "basic.onnx", &len);
    for (size_t n = 0; n < len; n++) {
        glc_graph *g = NULL;
        glc_diag d = {0};
        glc_status s = glc_import_onnx_buffer(buf, n, &g, &d);
        assert_true((s == GLC_OK) == (g != NULL));
        assert_true(s == GLC_OK || d.msg[0] != '\0');
        glc_graph_destroy(g);
    }
    free(buf);
}

static void test_import__non_onnx_and_empty_files_are_parse_errors(void **state) {
    const char *path = GLC_TEST_BIN "/frontend_not_onnx.txt";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("\xff\xfe this is not an ONNX model\n", f);
    fclose(f);
    glc_graph *g = NULL;
    glc_diag d = {0};
    assert_int_equal(glc_import_onnx_file(path, &g, &d), GLC_E_PARSE);
    assert_contains(d.msg, "not an ONNX model");
    f = fopen(path, "wb");
    fclose(f);
    assert_int_equal(glc_import_onnx_file(path, &g, &d), GLC_E_PARSE);
    assert_contains(d.msg, "not an ONNX model");
    assert_null(g);
    remove(path);
}

static void test_import__missing_file_is_an_io_error_with_strerror(void **state) {
    glc_graph *g = NULL;
    glc_diag d = {0};
    assert_int_equal(glc_import_onnx_file("/nonexistent/m.onnx", &g, &d), GLC_E_IO);
    assert_contains(d.msg, "/nonexistent/m.onnx");
    assert_contains(d.msg, "No such file or directory");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import__basic_model_has_inputs_outputs_and_opsets),
        cmocka_unit_test(test_import__initializers_decode_raw_and_typed_fields),
        cmocka_unit_test(test_import__constant_nodes_become_constant_values),
        cmocka_unit_test(test_import__nodes_map_ops_and_wire_values),
        cmocka_unit_test(test_import__every_attribute_kind_is_read),
        cmocka_unit_test(test_import__out_of_order_nodes_are_sorted),
        cmocka_unit_test(test_import__empty_input_name_is_an_absent_input),
        cmocka_unit_test(test_import__unsupported_ops_are_listed_in_one_diagnostic),
        cmocka_unit_test(test_import__dim_param_becomes_a_symbol),
        cmocka_unit_test(test_import__question_mark_dim_params_are_distinct_symbols),
        cmocka_unit_test(test_import__dim_binding_makes_the_input_static),
        cmocka_unit_test(test_import__symbol_fixed_by_a_linear_requirement_is_bound),
        cmocka_unit_test(test_import__dim_bindings_that_do_not_fit_are_argument_errors),
        cmocka_unit_test(test_import__undefined_input_names_the_node),
        cmocka_unit_test(test_import__cycle_is_a_parse_error_naming_a_node_on_it),
        cmocka_unit_test(test_import__name_defined_twice_is_a_parse_error),
        cmocka_unit_test(test_import__initializer_size_mismatch_names_tensor_and_sizes),
        cmocka_unit_test(test_import__typed_field_count_mismatch_names_tensor_and_counts),
        cmocka_unit_test(test_import__external_data_is_unsupported),
        cmocka_unit_test(test_import__undefined_graph_output_is_a_parse_error),
        cmocka_unit_test(test_import__sequence_output_is_unsupported),
        cmocka_unit_test(test_import__rank_above_limit_names_the_input),
        cmocka_unit_test(test_import__string_constant_is_unsupported_naming_the_node),
        cmocka_unit_test(test_import__truncated_model_is_a_parse_error),
        cmocka_unit_test(test_import__every_prefix_of_a_model_fails_cleanly_or_imports),
        cmocka_unit_test(test_import__non_onnx_and_empty_files_are_parse_errors),
        cmocka_unit_test(test_import__missing_file_is_an_io_error_with_strerror),
    };
    return cmocka_run_group_tests_name("frontend import", tests, NULL, NULL);
}
