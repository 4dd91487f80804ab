/*
 * pb.h -- just enough of the protobuf wire format to write the one-node ONNX models that
 * libglc_ort.so hands to glc_compile_bytes (field numbers: onnx.proto).
 */
#ifndef GLC_ORT_PB_H
#define GLC_ORT_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pb_buf {
    uint8_t *data;
    size_t len, cap;
    bool oom; /* a write failed for memory; the buffer is then useless */
} pb_buf;

void pb_free(pb_buf *b);
void pb_varint_field(pb_buf *b, uint32_t field, uint64_t v);       /* int32/int64/enum */
void pb_float_field(pb_buf *b, uint32_t field, float v);           /* fixed32 */
void pb_bytes_field(pb_buf *b, uint32_t field, const void *p, size_t n);
void pb_string_field(pb_buf *b, uint32_t field, const char *s);
void pb_message_field(pb_buf *b, uint32_t field, const pb_buf *sub); /* embeds sub */
void pb_append(pb_buf *b, const void *p, size_t n);                /* raw, pre-encoded */

#endif
