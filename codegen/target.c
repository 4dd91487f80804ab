/*
 * target.c -- the LLVM target machine and the per-function target attributes.
 *
 * The triple, CPU and features come from the options or, when absent, from the host
 * (LLVMGetDefaultTargetTriple / LLVMGetHostCPUName / LLVMGetHostCPUFeatures). When a
 * triple or cpu is given without features, no features are assumed beyond the CPU's.
 * Code is always PIC so the object links with `cc -shared`. Every function carries
 * "target-cpu"/"target-features" and nounwind, and the "prefer-vector-width" of the
 * target's row of the tiling table (isa.c: "512" with +avx512f; Intel-style targets
 * otherwise stay at 256-bit vectors).
 * The target must have this machine's byte order: constants (weights, shape tables) are
 * emitted as raw host bytes, so a big-endian target (aarch64_be, s390x) is refused
 * (GLC_E_UNSUPPORTED) rather than given byte-swapped weights.
 */
#include "cg_impl.h"

#include <llvm-c/Target.h>
#include <stdio.h>
#include <string.h>

static void init_llvm_targets(void) {
    /* Idempotent inside LLVM; all targets so cross objects (AArch64) work. */
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
}

static bool host_big_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 0;
}

static char *llvm_strdup(const char *s) {
    return LLVMCreateMessage(s);
}

glc_status cg_target_init(cg_ctx *c) {
    init_llvm_targets();
    const glc_codegen_options *o = c->o;
    bool host = !o->triple && !o->cpu;
    c->triple = o->triple ? llvm_strdup(o->triple) : LLVMGetDefaultTargetTriple();
    c->cpu = o->cpu ? llvm_strdup(o->cpu) : (o->triple ? llvm_strdup("") : LLVMGetHostCPUName());
    c->features = o->features ? llvm_strdup(o->features)
                              : (host ? LLVMGetHostCPUFeatures() : llvm_strdup(""));
    LLVMTargetRef t = NULL;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(c->triple, &t, &err)) {
        glc_diag_set(c->d, GLC_E_LLVM, NULL, "bad target triple '%s': %s", c->triple,
                     err ? err : "unknown");
        LLVMDisposeMessage(err);
        return GLC_E_LLVM;
    }
    static const LLVMCodeGenOptLevel lv[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                             LLVMCodeGenLevelDefault, LLVMCodeGenLevelAggressive};
    int ol = o->opt_level < 0 ? 0 : o->opt_level > 3 ? 3 : o->opt_level;
    c->tm = LLVMCreateTargetMachine(t, c->triple, c->cpu, c->features, lv[ol], LLVMRelocPIC,
                                    LLVMCodeModelDefault);
    if (!c->tm)
        return glc_diag_set(c->d, GLC_E_LLVM, NULL, "cannot create a target machine for '%s'",
                            c->triple);
    c->avx512 = strstr(c->features, "+avx512f") != NULL;
    c->avx512bf16 = c->avx512 && strstr(c->features, "+avx512bf16") != NULL;
    c->isa = cg_isa_select(c->triple, c->avx512);
    if (o->bf16_dot && !c->avx512bf16)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, NULL,
                            "--bf16 needs avx512bf16 among the target's features (cpu '%s', "
                            "features '%s')",
                            c->cpu[0] ? c->cpu : "generic", c->features);
    LLVMSetTarget(c->mod, c->triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(c->tm);
    LLVMSetModuleDataLayout(c->mod, td);
    bool big = LLVMByteOrder(td) == LLVMBigEndian;
    LLVMDisposeTargetData(td);
    if (big != host_big_endian())
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, NULL,
                            "target '%s' is %s-endian, this machine %s-endian: weights and "
                            "tables are written in this machine's byte order",
                            c->triple, big ? "big" : "little", big ? "little" : "big");
    return GLC_OK;
}

void cg_target_fini(cg_ctx *c) {
    if (c->tm) LLVMDisposeTargetMachine(c->tm);
    LLVMDisposeMessage(c->features);
    LLVMDisposeMessage(c->cpu);
    LLVMDisposeMessage(c->triple);
    c->tm = NULL;
    c->features = c->cpu = c->triple = NULL;
}

static void str_attr(cg_ctx *c, LLVMValueRef fn, const char *k, const char *v) {
    LLVMAttributeRef a =
        LLVMCreateStringAttribute(c->ctx, k, (unsigned)strlen(k), v, (unsigned)strlen(v));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
}

void cg_fn_attrs(cg_ctx *c, LLVMValueRef fn) {
    if (c->cpu[0]) str_attr(c, fn, "target-cpu", c->cpu);
    if (c->features[0]) str_attr(c, fn, "target-features", c->features);
    if (c->isa->vector_bits) {
        char w[16];
        snprintf(w, sizeof w, "%d", c->isa->vector_bits);
        str_attr(c, fn, "prefer-vector-width", w);
    }
    unsigned k = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, k, 0));
}
