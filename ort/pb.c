/* pb.c -- see pb.h. */
#include "pb.h"

#include <stdlib.h>
#include <string.h>

void pb_free(pb_buf *b) {
    free(b->data);
    *b = (pb_buf){0};
}

void pb_append(pb_buf *b, const void *p, size_t n) {
    if (b->oom || n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *grown = realloc(b->data, cap);
        if (!grown) {
            b->oom = true;
            return;
        }
        b->data = grown, b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put_varint(pb_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        tmp[n++] |= v ? 0x80 : 0;
    } while (v);
    pb_append(b, tmp, n);
}

static void put_tag(pb_buf *b, uint32_t field, uint32_t wire_type) {
    put_varint(b, ((uint64_t)field << 3) | wire_type);
}

void pb_varint_field(pb_buf *b, uint32_t field, uint64_t v) {
    put_tag(b, field, 0);
    put_varint(b, v);
}

void pb_float_field(pb_buf *b, uint32_t field, float v) {
    uint32_t bits;
    memcpy(&bits, &v, 4);
    uint8_t le[4] = {(uint8_t)bits, (uint8_t)(bits >> 8), (uint8_t)(bits >> 16),
                     (uint8_t)(bits >> 24)};
    put_tag(b, field, 5);
    pb_append(b, le, 4);
}

void pb_bytes_field(pb_buf *b, uint32_t field, const void *p, size_t n) {
    put_tag(b, field, 2);
    put_varint(b, n);
    pb_append(b, p, n);
}

void pb_string_field(pb_buf *b, uint32_t field, const char *s) {
    pb_bytes_field(b, field, s, strlen(s));
}

void pb_message_field(pb_buf *b, uint32_t field, const pb_buf *sub) {
    if (sub->oom)
        b->oom = true;
    pb_bytes_field(b, field, sub->data, sub->len);
}
