/* dtype.c -- element sizes and names of the tensor dtypes (ONNX numbering). */
#include "ir.h"

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
