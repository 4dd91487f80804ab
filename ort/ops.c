/*
 * ops.c -- RegisterCustomOps: domain ai.glc with ConvLSTM, MDLSTM and GridLSTM, as
 * docs/ai_glc_operators.md defines them (inputs, their dtypes, which are optional;
 * attribute names). Everything else is the kernel's (kernel.c, run.c).
 */
#include <stddef.h>

#include "glc_ort.h"

enum { F32 = 1, I32 = 6, I64 = 7 };

static const int32_t convlstm_types[] = {F32, F32, F32, F32, I32, F32, F32, F32};
enum { INTS = GLC_ORT_ATTR_INTS, FLOATS = GLC_ORT_ATTR_FLOATS, STRINGS = GLC_ORT_ATTR_STRINGS };
enum { SCALAR = 0 }; /* int, float or string: ORT's getters tell which */

static const glc_ort_attr convlstm_attrs[] = {
    {"hidden_size", SCALAR}, {"kernel_shape", INTS}, {"strides", INTS}, {"dilations", INTS},
    {"pads", INTS}, {"auto_pad", SCALAR}, {"direction", SCALAR}, {"activations", STRINGS},
    {"activation_alpha", FLOATS}, {"activation_beta", FLOATS}, {"clip", SCALAR},
    {"layout", SCALAR}, {NULL, 0}};
static const int32_t mdlstm_types[] = {F32, F32, F32, F32, F32, I64};
static const glc_ort_attr mdlstm_attrs[] = {
    {"hidden_size", SCALAR}, {"directions", SCALAR}, {"cell", SCALAR}, {"activations", STRINGS},
    {"activation_alpha", FLOATS}, {"activation_beta", FLOATS}, {"clip", SCALAR}, {NULL, 0}};
static const int32_t gridlstm_types[] = {F32, F32, F32, F32};
static const glc_ort_attr gridlstm_attrs[] = {
    {"hidden_size", SCALAR}, {"num_layers", SCALAR}, {"tied", SCALAR}, {"priority", SCALAR},
    {"activations", STRINGS}, {"activation_alpha", FLOATS}, {"activation_beta", FLOATS},
    {"clip", SCALAR}, {NULL, 0}};

static const glc_ort_op *as_op(const OrtCustomOp *op) { return (const glc_ort_op *)op; }

static const char *op_name(const OrtCustomOp *op) { return as_op(op)->name; }
static const char *op_provider(const OrtCustomOp *op) { return "CPUExecutionProvider"; }
static int op_input_type(const OrtCustomOp *op, size_t i) {
    return i < as_op(op)->n_inputs ? as_op(op)->input_types[i] : 0;
}
static size_t op_input_count(const OrtCustomOp *op) { return as_op(op)->n_inputs; }
static int op_output_type(const OrtCustomOp *op, size_t i) { return F32; }
static size_t op_output_count(const OrtCustomOp *op) { return as_op(op)->n_outputs; }
static int op_input_characteristic(const OrtCustomOp *op, size_t i) {
    return i < as_op(op)->n_required_inputs ? ORT_INPUT_OUTPUT_REQUIRED
                                             : ORT_INPUT_OUTPUT_OPTIONAL;
}
static int op_output_characteristic(const OrtCustomOp *op, size_t i) {
    return as_op(op)->n_outputs > 1 ? ORT_INPUT_OUTPUT_OPTIONAL : ORT_INPUT_OUTPUT_REQUIRED;
}
static int op_memory_type(const OrtCustomOp *op, size_t i) { return 0; /* default */ }
static int op_min_arity(const OrtCustomOp *op) { return 1; }
static int op_homogeneity(const OrtCustomOp *op) { return 1; }

#define GLC_ORT_OP(NAME, TYPES, N_OUT, N_REQ, ATTRS)                                       \
    {.op = {.version = GLC_ORT_CUSTOM_OP_VERSION,                                          \
            .GetName = op_name,                                                            \
            .GetExecutionProviderType = op_provider,                                       \
            .GetInputType = op_input_type,                                                 \
            .GetInputTypeCount = op_input_count,                                           \
            .GetOutputType = op_output_type,                                               \
            .GetOutputTypeCount = op_output_count,                                         \
            .KernelDestroy = glc_ort_kernel_destroy,                                       \
            .GetInputCharacteristic = op_input_characteristic,                             \
            .GetOutputCharacteristic = op_output_characteristic,                           \
            .GetInputMemoryType = op_memory_type,                                          \
            .GetVariadicInputMinArity = op_min_arity,                                      \
            .GetVariadicInputHomogeneity = op_homogeneity,                                 \
            .GetVariadicOutputMinArity = op_min_arity,                                     \
            .GetVariadicOutputHomogeneity = op_homogeneity,                                \
            .CreateKernelV2 = glc_ort_kernel_create,                                       \
            .KernelComputeV2 = glc_ort_kernel_compute},                                    \
     .name = NAME,                                                                         \
     .n_inputs = sizeof(TYPES) / sizeof(TYPES[0]),                                         \
     .n_outputs = N_OUT,                                                                   \
     .n_required_inputs = N_REQ,                                                           \
     .input_types = TYPES,                                                                 \
     .attrs = ATTRS}

static const glc_ort_op ops[] = {
    GLC_ORT_OP("ConvLSTM", convlstm_types, 3, 3, convlstm_attrs),
    GLC_ORT_OP("MDLSTM", mdlstm_types, 1, 3, mdlstm_attrs),
    GLC_ORT_OP("GridLSTM", gridlstm_types, 1, 2, gridlstm_attrs),
};

/* An error while registering, on whichever API table this ORT has. */
static OrtStatus *register_error(const OrtApiBase *base, const char *msg) {
    const OrtApi *api = base->GetApi(1);
    return api ? ort_slot(api, ORT_SLOT_CREATE_STATUS, OrtCreateStatusFn)(ORT_FAIL, msg) : NULL;
}

/* The domain must outlive every session using it; one per call, never freed. */
__attribute__((visibility("default"))) OrtStatus *RegisterCustomOps(OrtSessionOptions *options,
                                                                   const OrtApiBase *base) {
    if (!options || !base)
        return NULL;
    const OrtApi *api = base->GetApi(GLC_ORT_API_VERSION);
    if (!api)
        return register_error(base, "libglc_ort: needs ONNX Runtime >= 1.30 (C API version 30)");
    OrtCustomOpDomain *domain = NULL;
    OrtCustomOpDomainAddFn add =
        ort_slot(api, ORT_SLOT_CUSTOM_OP_DOMAIN_ADD, OrtCustomOpDomainAddFn);
    OrtStatus *s = ort_slot(api, ORT_SLOT_CREATE_CUSTOM_OP_DOMAIN,
                            OrtCreateCustomOpDomainFn)("ai.glc", &domain);
    for (size_t i = 0; !s && i < sizeof ops / sizeof ops[0]; i++)
        s = add(domain, &ops[i].op);
    if (!s)
        s = ort_slot(api, ORT_SLOT_ADD_CUSTOM_OP_DOMAIN, OrtAddCustomOpDomainFn)(options, domain);
    return s;
}
