/* dtype.c -- element sizes and names of the tensor dtypes (ONNX numbering), and the
 * conversions of the 16-bit floats. */
#include "ir.h"

#include <math.h>
#include <string.h>

size_t glc_dtype_size(glc_dtype t) {
    switch (t) {
    case GLC_DT_F32: case GLC_DT_I32: case GLC_DT_U32: return 4;
    case GLC_DT_I64: case GLC_DT_U64: case GLC_DT_F64: return 8;
    case GLC_DT_U8: case GLC_DT_I8: case GLC_DT_BOOL: return 1;
    case GLC_DT_U16: case GLC_DT_I16: case GLC_DT_F16: case GLC_DT_BF16: return 2;
    case GLC_DT_UNDEF: case GLC_DT_STRING: return 0;
    }
    return 0;
}

const char *glc_dtype_name(glc_dtype t) {
    switch (t) {
    case GLC_DT_UNDEF: return "undef";
    case GLC_DT_F32: return "f32";
    case GLC_DT_U8: return "u8";
    case GLC_DT_I8: return "i8";
    case GLC_DT_U16: return "u16";
    case GLC_DT_I16: return "i16";
    case GLC_DT_I32: return "i32";
    case GLC_DT_I64: return "i64";
    case GLC_DT_STRING: return "string";
    case GLC_DT_BOOL: return "bool";
    case GLC_DT_F16: return "f16";
    case GLC_DT_F64: return "f64";
    case GLC_DT_U32: return "u32";
    case GLC_DT_U64: return "u64";
    case GLC_DT_BF16: return "bf16";
    }
    return "?";
}

bool glc_dtype_is_float(glc_dtype t) {
    return t == GLC_DT_F32 || t == GLC_DT_F64 || t == GLC_DT_F16 || t == GLC_DT_BF16;
}

bool glc_dtype_is_supported(glc_dtype t) {
    return glc_dtype_size(t) != 0;
}

/* IEEE binary16 <-> double. A double rounds once, to nearest even (so f64 -> f16 does not
 * round twice through f32); NaN becomes the quiet NaN 0x7e00 with its sign. */
float glc_f16_to_f32(uint16_t h) {
    int e = (h >> 10) & 0x1f, f = h & 0x3ff;
    double s = h & 0x8000 ? -1.0 : 1.0;
    if (e == 0) return (float)(s * ldexp(f, -24));
    if (e == 31) return f ? (float)copysign(NAN, s) : (float)(s * INFINITY);
    return (float)(s * ldexp(1024 + f, e - 25));
}

uint16_t glc_f64_to_f16(double v) {
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs(v);
    if (isnan(v)) return sign | 0x7e00;
    if (a >= 65520.0) return sign | 0x7c00; /* rounds past 65504: infinity (also inf) */
    if (a < ldexp(1.0, -14)) /* subnormal: a multiple of 2^-24 (1024 rounds up to normal) */
        return sign | (uint16_t)nearbyint(a * ldexp(1.0, 24));
    int e;
    double f = nearbyint((2 * frexp(a, &e) - 1) * 1024); /* a = (1 + f/1024) * 2^(e-1) */
    int be = e - 1 + 15;
    if (f == 1024) {
        f = 0;
        be++;
    }
    if (be >= 31) return sign | 0x7c00; /* infinity */
    return sign | (uint16_t)(be << 10) | (uint16_t)f;
}

float glc_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

uint16_t glc_f32_to_bf16(float v) {
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

uint64_t glc_float_to_int(double f, int nbits, bool is_signed) {
    if (isnan(f)) return 0;
    double t = trunc(f), lim = ldexp(1.0, is_signed ? nbits - 1 : nbits);
    if (is_signed) {
        if (t >= lim) return (uint64_t)(nbits == 64 ? INT64_MAX : ((int64_t)1 << (nbits - 1)) - 1);
        if (t < -lim) return (uint64_t)(nbits == 64 ? INT64_MIN : -((int64_t)1 << (nbits - 1)));
        return (uint64_t)(int64_t)t;
    }
    if (t <= 0) return 0;
    if (t >= lim) return nbits == 64 ? UINT64_MAX : ((uint64_t)1 << nbits) - 1;
    return (uint64_t)t;
}
