/*
 * target.c -- which target glc compiles for, the LLVM target machine, and the
 * per-function target attributes.
 *
 * The target (glc_codegen_target_resolve), from the options, the environment and the host:
 *   triple    o->triple, else the host's (LLVMGetDefaultTargetTriple);
 *   cpu       o->cpu; else, without o->triple, $GLC_DEFAULT_CPU, else the host's
 *             (LLVMGetHostCPUName); with o->triple alone, "" (the triple's baseline);
 *   features  o->features; else the host's (LLVMGetHostCPUFeatures) when the cpu is the
 *             host's; else none. LLVM still uses a named CPU's own instructions, but glc
 *             sizes its kernels by this list alone (AVX-512 tiles with +avx512f, --bf16
 *             with +avx512bf16): spell them out with a named CPU to get them.
 * So GLC_DEFAULT_CPU=x86-64-v3 makes every compilation that names no target (the driver,
 * the Python package, the conformance runner, in-process test helpers) emit AVX2 code, as
 * --cpu=x86-64-v3 would: that is how an AVX-512 machine tests the AVX2 paths end to end.
 *
 * Code is always PIC so the object links with `cc -shared`. Every function carries
 * "target-cpu"/"target-features" and nounwind; with +avx512f also
 * "prefer-vector-width"="512" (Intel-style targets otherwise stay at 256-bit vectors).
 * The target must have this machine's byte order: constants (weights, shape tables) are
 * emitted as raw host bytes, so a big-endian target (aarch64_be, s390x) is refused
 * (GLC_E_UNSUPPORTED) rather than given byte-swapped weights.
 */
#include "cg_impl.h"

#include <llvm-c/Target.h>
#include <stdlib.h>
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

/* A malloc'd copy of an LLVM message, which is disposed. */
static char *from_llvm(char *m) {
    char *r = strdup(m ? m : "");
    LLVMDisposeMessage(m);
    return r;
}

glc_status glc_codegen_target_resolve(const glc_codegen_options *o, glc_codegen_target *t,
                                      glc_diag *d) {
    const char *env = getenv("GLC_DEFAULT_CPU");
    if (env && !*env) env = NULL;
    *t = (glc_codegen_target){0};
    t->triple = o->triple ? strdup(o->triple) : from_llvm(LLVMGetDefaultTargetTriple());
    if (o->cpu) {
        t->cpu = strdup(o->cpu), t->cpu_source = "--cpu";
    } else if (o->triple) {
        t->cpu = strdup(""), t->cpu_source = "--target";
    } else if (env) {
        t->cpu = strdup(env), t->cpu_source = "GLC_DEFAULT_CPU";
    } else {
        t->cpu = from_llvm(LLVMGetHostCPUName()), t->cpu_source = "host";
    }
    bool host = !strcmp(t->cpu_source, "host");
    t->features = o->features ? strdup(o->features)
                              : host ? from_llvm(LLVMGetHostCPUFeatures()) : strdup("");
    if (!t->triple || !t->cpu || !t->features) {
        glc_codegen_target_fini(t);
        return glc_diag_set(d, GLC_E_NOMEM, NULL, "out of memory");
    }
    return GLC_OK;
}

void glc_codegen_target_fini(glc_codegen_target *t) {
    free(t->triple);
    free(t->cpu);
    free(t->features);
    *t = (glc_codegen_target){0};
}

bool glc_codegen_target_has(const glc_codegen_target *t, const char *feature) {
    bool on = false; /* the last mention wins, as in LLVM */
    size_t n = strlen(feature);
    for (const char *p = t->features; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n + 1 && (*p == '+' || *p == '-') && !strncmp(p + 1, feature, n))
            on = *p == '+';
        p = e ? e + 1 : NULL;
    }
    return on;
}

/* The target machine for t. */
static glc_status make_tm(const glc_codegen_target *t, const glc_codegen_options *o,
                          LLVMTargetMachineRef *tm, glc_diag *d) {
    init_llvm_targets();
    LLVMTargetRef lt = NULL;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(t->triple, &lt, &err)) {
        glc_diag_set(d, GLC_E_LLVM, NULL, "bad target triple '%s': %s", t->triple,
                     err ? err : "unknown");
        LLVMDisposeMessage(err);
        return GLC_E_LLVM;
    }
    static const LLVMCodeGenOptLevel lv[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                             LLVMCodeGenLevelDefault, LLVMCodeGenLevelAggressive};
    int ol = o->opt_level < 0 ? 0 : o->opt_level > 3 ? 3 : o->opt_level;
    *tm = LLVMCreateTargetMachine(lt, t->triple, t->cpu, t->features, lv[ol], LLVMRelocPIC,
                                  LLVMCodeModelDefault);
    if (!*tm)
        return glc_diag_set(d, GLC_E_LLVM, NULL, "cannot create a target machine for '%s'",
                            t->triple);
    return GLC_OK;
}

glc_status cg_target_init(cg_ctx *c) {
    const glc_codegen_options *o = c->o;
    GLC_TRY(glc_codegen_target_resolve(o, &c->tgt, c->d));
    GLC_TRY(make_tm(&c->tgt, o, &c->tm, c->d));
    c->avx512 = glc_codegen_target_has(&c->tgt, "avx512f");
    c->avx512bf16 = c->avx512 && glc_codegen_target_has(&c->tgt, "avx512bf16");
    if (o->bf16_dot && !c->avx512bf16)
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, NULL,
                            "--bf16 needs avx512bf16 among the target's features (cpu '%s', "
                            "features '%s')",
                            c->tgt.cpu[0] ? c->tgt.cpu : "generic", c->tgt.features);
    LLVMSetTarget(c->mod, c->tgt.triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(c->tm);
    LLVMSetModuleDataLayout(c->mod, td);
    bool big = LLVMByteOrder(td) == LLVMBigEndian;
    LLVMDisposeTargetData(td);
    if (big != host_big_endian())
        return glc_diag_set(c->d, GLC_E_UNSUPPORTED, NULL,
                            "target '%s' is %s-endian, this machine %s-endian: weights and "
                            "tables are written in this machine's byte order",
                            c->tgt.triple, big ? "big" : "little", big ? "little" : "big");
    return GLC_OK;
}

void cg_target_fini(cg_ctx *c) {
    if (c->tm) LLVMDisposeTargetMachine(c->tm);
    c->tm = NULL;
    glc_codegen_target_fini(&c->tgt);
}

static void str_attr(cg_ctx *c, LLVMValueRef fn, const char *k, const char *v) {
    LLVMAttributeRef a =
        LLVMCreateStringAttribute(c->ctx, k, (unsigned)strlen(k), v, (unsigned)strlen(v));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, a);
}

void cg_fn_attrs(cg_ctx *c, LLVMValueRef fn) {
    if (c->tgt.cpu[0]) str_attr(c, fn, "target-cpu", c->tgt.cpu);
    if (c->tgt.features[0]) str_attr(c, fn, "target-features", c->tgt.features);
    if (c->avx512) str_attr(c, fn, "prefer-vector-width", "512");
    unsigned k = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, k, 0));
}
