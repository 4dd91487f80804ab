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
 * Names LLVM does not know are errors here, not LLVM's "(ignoring processor)" warning on
 * stderr. The C API has no query for the names, so while it creates the target machine
 * for a named CPU or an explicit feature list, create_tm() points fd 2 at a temporary file
 * and reads what LLVM printed there; the same with the CPU "help" yields LLVM's lists of
 * valid names (glc_codegen_target_names). Only those calls redirect stderr, briefly.
 *
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The whole of f, from its start (malloc'd; NULL if out of memory). */
static char *read_all(FILE *f) {
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) n = 0;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    s[fread(s, 1, (size_t)n, f)] = '\0';
    return s;
}

/* LLVMCreateTargetMachine; with said, fd 2 points at a temporary file meanwhile and
 * *said gets what LLVM wrote there (malloc'd; NULL if the redirection failed, and then
 * LLVM's words went to stderr as usual). */
static LLVMTargetMachineRef create_tm(LLVMTargetRef t, const glc_codegen_target *tg,
                                      const char *cpu, int opt_level, char **said) {
    static const LLVMCodeGenOptLevel lv[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                             LLVMCodeGenLevelDefault, LLVMCodeGenLevelAggressive};
    int ol = opt_level < 0 ? 0 : opt_level > 3 ? 3 : opt_level;
    FILE *f = said ? tmpfile() : NULL;
    int saved = -1;
    if (f) {
        fflush(stderr);
        saved = dup(2);
        if (saved >= 0 && dup2(fileno(f), 2) < 0) close(saved), saved = -1;
    }
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(t, tg->triple, cpu, tg->features, lv[ol],
                                                      LLVMRelocPIC, LLVMCodeModelDefault);
    if (said) *said = NULL;
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
        *said = read_all(f);
    }
    if (f) fclose(f);
    return tm;
}

/* The name LLVM quoted in the first line of said holding `what`, into buf. */
static const char *quoted_in(const char *said, const char *what, char *buf, size_t len) {
    const char *w = strstr(said, what);
    if (!w) return NULL;
    const char *q = w;
    while (q > said && q[-1] != '\n') q--;
    const char *e = *q == '\'' ? strchr(q + 1, '\'') : NULL;
    if (!e || e > w) return NULL;
    snprintf(buf, len, "%.*s", (int)(e - q - 1), q + 1);
    return buf;
}

/* A GLC_E_ARG naming an unknown CPU or feature in said, else GLC_OK; any other words of
 * LLVM go on to stderr, where they were headed. */
static glc_status check_said(const glc_codegen_target *t, const char *said, glc_diag *d) {
    char name[128];
    if (quoted_in(said, "is not a recognized processor", name, sizeof name))
        return glc_diag_set(d, GLC_E_ARG, NULL,
                            "unknown CPU '%s' (%s) for %s; 'glc --list-cpus' lists the "
                            "valid names", name, t->cpu_source, t->triple);
    if (quoted_in(said, "is not a recognized feature", name, sizeof name))
        return glc_diag_set(d, GLC_E_ARG, NULL,
                            "unknown CPU feature '%s' (--features) for %s; 'glc "
                            "--list-features' lists the valid names", name, t->triple);
    if (*said) fputs(said, stderr);
    return GLC_OK;
}

/* The LLVM target of t's triple, or GLC_E_LLVM. */
static glc_status llvm_target(const glc_codegen_target *t, LLVMTargetRef *out, glc_diag *d) {
    init_llvm_targets();
    char *err = NULL;
    if (!LLVMGetTargetFromTriple(t->triple, out, &err)) return GLC_OK;
    glc_diag_set(d, GLC_E_LLVM, NULL, "bad target triple '%s': %s", t->triple,
                 err ? err : "unknown");
    LLVMDisposeMessage(err);
    return GLC_E_LLVM;
}

/* The target machine for t, its CPU and feature names checked unless they are the
 * host's own (LLVM named those). */
static glc_status make_tm(const glc_codegen_target *t, const glc_codegen_options *o,
                          LLVMTargetMachineRef *tm, glc_diag *d) {
    LLVMTargetRef lt;
    GLC_TRY(llvm_target(t, &lt, d));
    bool check = strcmp(t->cpu_source, "host") || o->features;
    char *said = NULL;
    *tm = create_tm(lt, t, t->cpu, o->opt_level, check ? &said : NULL);
    glc_status s = said ? check_said(t, said, d) : GLC_OK;
    free(said);
    if (s == GLC_OK && !*tm)
        s = glc_diag_set(d, GLC_E_LLVM, NULL, "cannot create a target machine for '%s'",
                         t->triple);
    if (s != GLC_OK && *tm) LLVMDisposeTargetMachine(*tm), *tm = NULL;
    return s;
}

glc_status glc_codegen_target_check(const glc_codegen_options *o, glc_diag *d) {
    glc_codegen_target t;
    GLC_TRY(glc_codegen_target_resolve(o, &t, d));
    LLVMTargetMachineRef tm = NULL;
    glc_status s = make_tm(&t, o, &tm, d);
    if (tm) LLVMDisposeTargetMachine(tm);
    glc_codegen_target_fini(&t);
    return s;
}

/* The names of LLVM's list after the line `head` ("  name   - what it is."), up to the
 * next empty line, one per line into a malloc'd string. */
static char *names_after(const char *said, const char *head) {
    const char *p = strstr(said, head);
    if (!p) return NULL;
    p = strchr(p, '\n');
    char *out = malloc(strlen(said) + 1), *w = out;
    if (!out) return NULL;
    for (p = p ? p + 1 : ""; *p == '\n'; p++) {}
    while (*p && *p != '\n') {
        p += strspn(p, " \t");
        size_t n = strcspn(p, " \t\n");
        memcpy(w, p, n), w += n, *w++ = '\n';
        p = strchr(p, '\n');
        p = p ? p + 1 : "";
    }
    *w = '\0';
    return out;
}

glc_status glc_codegen_target_names(const glc_codegen_options *o, bool features, char **out,
                                    glc_diag *d) {
    *out = NULL;
    glc_codegen_options bare = glc_codegen_defaults();
    bare.triple = o->triple;
    bare.features = ""; /* only the triple matters */
    glc_codegen_target t;
    GLC_TRY(glc_codegen_target_resolve(&bare, &t, d));
    LLVMTargetRef lt;
    glc_status s = llvm_target(&t, &lt, d);
    char *said = NULL;
    if (s == GLC_OK) {
        LLVMTargetMachineRef tm = create_tm(lt, &t, "help", 0, &said);
        if (tm) LLVMDisposeTargetMachine(tm);
        const char *head = features ? "Available features for this target:"
                                    : "Available CPUs for this target:";
        *out = said ? names_after(said, head) : NULL;
        if (!*out)
            s = glc_diag_set(d, GLC_E_LLVM, NULL, "LLVM gave no list of %s for %s (it gives "
                             "it once per process)", features ? "features" : "CPUs", t.triple);
    }
    free(said);
    glc_codegen_target_fini(&t);
    return s;
}

glc_status cg_target_init(cg_ctx *c) {
    const glc_codegen_options *o = c->o;
    GLC_TRY(glc_codegen_target_resolve(o, &c->tgt, c->d));
    GLC_TRY(make_tm(&c->tgt, o, &c->tm, c->d));
    c->avx512 = glc_codegen_target_has(&c->tgt, "avx512f");
    c->avx512bf16 = c->avx512 && glc_codegen_target_has(&c->tgt, "avx512bf16");
    c->isa = cg_isa_select(c->tgt.triple, c->avx512);
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
    if (c->isa->vector_bits) {
        char w[16];
        snprintf(w, sizeof w, "%d", c->isa->vector_bits);
        str_attr(c, fn, "prefer-vector-width", w);
    }
    unsigned k = LLVMGetEnumAttributeKindForName("nounwind", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, k, 0));
}
