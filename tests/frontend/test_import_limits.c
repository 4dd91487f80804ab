/*
 * test_import_limits.c -- the import's resource limits (frontend/limits.c): the wire scan
 * that runs before protobuf-c (nesting, message and node counts, malformed bytes), the
 * limit table and glc_import_limit_set. Models are built as raw protobuf bytes so they can
 * be deeper or larger than any exporter would write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "frontend.h"

#include <stdlib.h>
#include <string.h>

/* A growable byte buffer for hand-written protobuf. */
typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->n + n + 1 > b->cap) { /* geometric growth: linear time even where realloc copies */
        b->cap = 2 * (b->n + n + 1);
        b->p = realloc(b->p, b->cap);
    }
    assert_non_null(b->p);
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_varint(bytes *b, uint64_t v) {
    do {
        uint8_t c = (uint8_t)(v & 0x7f) | (v > 0x7f ? 0x80 : 0);
        put(b, &c, 1);
        v >>= 7;
    } while (v);
}

/* field `num` (length-delimited) holding inner's bytes; frees inner. */
static bytes wrap(uint32_t num, bytes inner) {
    bytes b = {0};
    put_varint(&b, (uint64_t)num << 3 | 2);
    put_varint(&b, inner.n);
    put(&b, inner.p ? inner.p : (const uint8_t *)"", inner.n);
    free(inner.p);
    return b;
}

/* ModelProto{ir_version: 8, graph: g}. */
static bytes model_of(bytes graph) {
    bytes m = {0};
    put_varint(&m, 1 << 3);
    put_varint(&m, 8);
    bytes gw = wrap(7, graph);
    put(&m, gw.p, gw.n);
    free(gw.p);
    return m;
}

static glc_status import_bytes(bytes m, const glc_import_limits *l, glc_diag *d) {
    glc_import_options o = {.limits = l};
    glc_graph *g = NULL;
    memset(d, 0, sizeof *d);
    glc_status s = glc_import_onnx_buffer_opts(m.p, m.n, &o, &g, d);
    assert_null(g);
    free(m.p);
    return s;
}

static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v > 0x7f) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Graph{node{attribute{g: Graph{...}}}} `levels` times around an empty graph, written
 * outermost first in linear time (wrap() would copy the growing message at every level). */
static bytes nested_graphs(int levels) {
    static const uint32_t fields[3] = {6, 5, 1}; /* innermost first: g, attribute, node */
    int n = 3 * levels;
    uint64_t *len = malloc((size_t)n * sizeof *len); /* len[i]: payload of wrapper i */
    assert_non_null(len);
    uint64_t inner = 0;
    for (int i = 0; i < n; i++) {
        len[i] = inner;
        inner += 1 + varint_len(inner);
    }
    bytes b = {0};
    for (int i = n - 1; i >= 0; i--) {
        put_varint(&b, (uint64_t)fields[i % 3] << 3 | 2);
        put_varint(&b, len[i]);
    }
    free(len);
    return b;
}

/* protobuf-c would recurse three frames per level and overflow the stack long before
 * 200000 levels. */
static void test_limits__subgraphs_nested_200000_deep_stop_at_the_nesting_limit(void **state) {
    (void)state;
    bytes g = nested_graphs(200000);
    glc_diag d;
    assert_int_equal(import_bytes(model_of(g), NULL, &d), GLC_E_LIMIT);
    assert_string_equal(d.msg, "message nesting is 65; the limit is nesting=64 (raise it with "
                               "--limit nesting=N)");
}

/* 5000 empty NodeProtos cost 2 bytes each in the file and ~100 bytes each unpacked. */
static void test_limits__node_and_message_counts_are_checked_before_unpacking(void **state) {
    (void)state;
    glc_import_limits l = glc_import_limits_default();
    l.nodes = 4999;
    bytes g = {0};
    for (int i = 0; i < 5000; i++)
        put(&g, "\x0a\x00", 2);
    bytes g2 = {0};
    put(&g2, g.p, g.n);
    glc_diag d;
    assert_int_equal(import_bytes(model_of(g), &l, &d), GLC_E_LIMIT);
    assert_string_equal(d.msg, "the number of nodes is 5000; the limit is nodes=4999 (raise it "
                               "with --limit nodes=N)");
    l = glc_import_limits_default();
    l.messages = 1000;
    assert_int_equal(import_bytes(model_of(g2), &l, &d), GLC_E_LIMIT);
    assert_non_null(strstr(d.msg, "the number of messages is 1001; the limit is messages=1000"));
}

/* Bytes the scan cannot read are the same parse error protobuf-c gives. */
static void test_limits__malformed_wire_is_a_parse_error(void **state) {
    (void)state;
    static const char *const cases[] = {"\x3a\x05\x0a", "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                                        "\x0b", "\x09\x01\x02"};
    static const size_t lens[] = {3, 12, 1, 3};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        bytes m = {0};
        put(&m, cases[i], lens[i]);
        glc_diag d;
        assert_int_equal(import_bytes(m, NULL, &d), GLC_E_PARSE);
        assert_string_equal(d.msg, "not an ONNX model (protobuf parse failed)");
    }
}

static void test_limits__table_gives_defaults_and_set_checks_names_and_maxima(void **state) {
    (void)state;
    glc_import_limits l = glc_import_limits_default();
    assert_int_equal(l.rank, 8);
    assert_int_equal(l.nesting, 64);
    assert_int_equal(l.string_bytes, 4096);
    glc_diag d = {0};
    assert_int_equal(glc_import_limit_set(&l, "string-bytes", 10, &d), GLC_OK);
    assert_int_equal(l.string_bytes, 10);
    assert_int_equal(glc_import_limit_set(&l, "nesting", 257, &d), GLC_E_ARG);
    assert_string_equal(d.msg, "limit nesting=257 is above its maximum 256");
    assert_int_equal(glc_import_limit_set(&l, "no-such", 1, &d), GLC_E_ARG);
    assert_string_equal(d.msg, "unknown limit 'no-such'");
    for (size_t i = 0; i < glc_import_limit_count; i++) /* every default within its maximum */
        assert_true(glc_import_limit_table[i].def <= glc_import_limit_table[i].max);
}

/* At the hard maximum of nesting, protobuf-c's own recursion must still be safe. */
static void test_limits__nesting_at_its_maximum_unpacks_without_overflow(void **state) {
    (void)state;
    glc_import_limits l = glc_import_limits_default();
    l.nesting = 256;
    bytes g = {0};
    for (int i = 0; i < 84; i++) /* 1 + 84 * 3 = 253 levels */
        g = wrap(1, wrap(5, wrap(6, g)));
    bytes fast = nested_graphs(84); /* the linear-time builder writes the same bytes */
    assert_int_equal(fast.n, g.n);
    assert_memory_equal(fast.p, g.p, g.n);
    free(fast.p);
    glc_diag d;
    /* The outer node has no op_type: an import error, but only after a full unpack. */
    glc_status s = import_bytes(model_of(g), &l, &d);
    assert_int_not_equal(s, GLC_E_LIMIT);
    assert_int_not_equal(s, GLC_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits__subgraphs_nested_200000_deep_stop_at_the_nesting_limit),
        cmocka_unit_test(test_limits__node_and_message_counts_are_checked_before_unpacking),
        cmocka_unit_test(test_limits__malformed_wire_is_a_parse_error),
        cmocka_unit_test(test_limits__table_gives_defaults_and_set_checks_names_and_maxima),
        cmocka_unit_test(test_limits__nesting_at_its_maximum_unpacks_without_overflow),
    };
    return cmocka_run_group_tests_name("import limits", tests, NULL, NULL);
}
