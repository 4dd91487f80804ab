/*
 * model.c -- the one-node ONNX model a kernel compiles: its ai.glc node (inputs i<k>,
 * outputs o<k>, "" where the node has none), the constant inputs as initializers, the
 * others as graph inputs at this call's dims, the present outputs as float32 graph outputs
 * (glc infers their shapes). IR version 8, opsets "" 13 and ai.glc 1, as the spec's.
 */
#include <stdio.h>

#include "glc_ort.h"

static void io_name(char *buf, size_t n, char kind, uint32_t i, bool present) {
    if (present)
        snprintf(buf, n, "%c%u", kind, i);
    else
        buf[0] = '\0';
}

static void tensor_type(pb_buf *vi, const ort_tensor *t) {
    pb_buf shape = {0}, tensor = {0}, type = {0};
    for (int d = 0; t && d < t->rank; d++) {
        pb_buf dim = {0};
        pb_varint_field(&dim, 1, (uint64_t)t->dims[d]); /* dim_value */
        pb_message_field(&shape, 1, &dim);
        pb_free(&dim);
    }
    pb_varint_field(&tensor, 1, (uint64_t)(t ? t->dtype : 1)); /* elem_type */
    if (t)
        pb_message_field(&tensor, 2, &shape);
    pb_message_field(&type, 1, &tensor); /* TypeProto.tensor_type */
    pb_message_field(vi, 2, &type);
    pb_free(&shape), pb_free(&tensor), pb_free(&type);
}

static void value_info(pb_buf *graph, uint32_t field, const char *name, const ort_tensor *t) {
    pb_buf vi = {0};
    pb_string_field(&vi, 1, name);
    tensor_type(&vi, t);
    pb_message_field(graph, field, &vi);
    pb_free(&vi);
}

static void initializer(pb_buf *graph, const char *name, const ort_tensor *t) {
    pb_buf tp = {0};
    for (int d = 0; d < t->rank; d++)
        pb_varint_field(&tp, 1, (uint64_t)t->dims[d]);
    pb_varint_field(&tp, 2, (uint64_t)t->dtype);
    pb_string_field(&tp, 8, name);
    pb_bytes_field(&tp, 9, t->data, glc_ort_tensor_bytes(t)); /* raw_data */
    pb_message_field(graph, 5, &tp);
    pb_free(&tp);
}

static void node(pb_buf *graph, const ort_kernel *k, const ort_tensor *in) {
    pb_buf n = {0};
    char name[32];
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        io_name(name, sizeof name, 'i', i, in[i].present);
        pb_string_field(&n, 1, name);
    }
    for (uint32_t j = 0; j < k->n_outputs; j++) {
        io_name(name, sizeof name, 'o', j, k->out_present[j]);
        pb_string_field(&n, 2, name);
    }
    pb_string_field(&n, 3, k->node_name[0] ? k->node_name : k->op->name);
    pb_string_field(&n, 4, k->op->name);
    pb_append(&n, k->attrs.data, k->attrs.len);
    pb_string_field(&n, 7, "ai.glc");
    pb_message_field(graph, 1, &n);
    pb_free(&n);
}

static void graph(pb_buf *g, const ort_kernel *k, const ort_tensor *in) {
    char name[32];
    node(g, k, in);
    pb_string_field(g, 2, k->op->name);
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        io_name(name, sizeof name, 'i', i, in[i].present);
        if (in[i].present && in[i].constant)
            initializer(g, name, &in[i]);
    }
    for (uint32_t i = 0; i < k->n_inputs; i++) {
        io_name(name, sizeof name, 'i', i, in[i].present);
        if (in[i].present && !in[i].constant)
            value_info(g, 11, name, &in[i]);
    }
    for (uint32_t j = 0; j < k->n_outputs; j++) {
        io_name(name, sizeof name, 'o', j, k->out_present[j]);
        if (k->out_present[j])
            value_info(g, 12, name, NULL);
    }
}

static void opset(pb_buf *m, const char *domain, uint64_t version) {
    pb_buf o = {0};
    pb_string_field(&o, 1, domain);
    pb_varint_field(&o, 2, version);
    pb_message_field(m, 8, &o);
    pb_free(&o);
}

bool glc_ort_build_model(const ort_kernel *k, const ort_tensor *in, pb_buf *out) {
    pb_buf g = {0};
    *out = (pb_buf){0};
    graph(&g, k, in);
    pb_varint_field(out, 1, 8); /* ir_version */
    pb_string_field(out, 2, "libglc_ort");
    pb_message_field(out, 7, &g);
    opset(out, "", 13);
    opset(out, "ai.glc", 1);
    pb_free(&g);
    return !out->oom;
}
