/*
 * emit.c -- verify, optimise and write the module; link shared objects with the C
 * compiler; glc_codegen_host_cpu().
 *
 * Output is all-or-nothing: everything is written to temporaries (mkstemp) in out_path's
 * directory and renamed over out_path at the end; on failure the temporaries are removed.
 * SO: object to a temporary, then `cc -shared -o <tmp.so> <tmp.o>` via posix_spawnp (no
 * shell) with the compiler's stderr captured into the diagnostic (GLC_E_LINK on failure).
 * STATIC: the object under the name <prefix>.o, archived with `ar rcs` the same way.
 * For the host, both also get glc_pool.o, runtime/pool.c compiled when glc was built and
 * embedded here (pool_object.c): the thread pool behind <prefix>_invoke.
 * HEADER: no code; header.c writes the C header (the module is not even optimised).
 */
#define _POSIX_C_SOURCE 200809L
#include "cg_impl.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Creates an empty temp file next to out_path; fills buf with its name. */
static glc_status make_temp(cg_ctx *c, const char *out_path, char *buf, size_t len) {
    const char *slash = strrchr(out_path, '/');
    int dl = slash ? (int)(slash - out_path) : 1;
    snprintf(buf, len, "%.*s/.glc-tmp-XXXXXX", dl, slash ? out_path : ".");
    int fd = mkstemp(buf);
    if (fd < 0) {
        buf[0] = 0;
        return glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", out_path, strerror(errno));
    }
    close(fd);
    return GLC_OK;
}

static glc_status optimise(cg_ctx *c) {
    char *err = NULL;
    if (LLVMVerifyModule(c->mod, LLVMReturnStatusAction, &err)) {
        if (getenv("GLC_DUMP_INVALID_IR")) LLVMDumpModule(c->mod); /* debugging glc itself */
        glc_diag_set(c->d, GLC_E_LLVM, NULL, "invalid module: %s", err ? err : "");
        LLVMDisposeMessage(err);
        return GLC_E_LLVM;
    }
    LLVMDisposeMessage(err);
    int ol = c->o->opt_level < 0 ? 0 : c->o->opt_level > 3 ? 3 : c->o->opt_level;
    char pipe[32];
    snprintf(pipe, sizeof pipe, "default<O%d>", ol);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef e = LLVMRunPasses(c->mod, pipe, c->tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (e) {
        char *m = LLVMGetErrorMessage(e);
        glc_diag_set(c->d, GLC_E_LLVM, NULL, "optimisation failed: %s", m);
        LLVMDisposeErrorMessage(m);
        return GLC_E_LLVM;
    }
    return GLC_OK;
}

static glc_status emit_file(cg_ctx *c, const char *path, LLVMCodeGenFileType kind) {
    char *err = NULL;
    if (LLVMTargetMachineEmitToFile(c->tm, c->mod, path, kind, &err)) {
        glc_diag_set(c->d, GLC_E_LLVM, NULL, "emission failed: %s", err ? err : "");
        LLVMDisposeMessage(err);
        return GLC_E_LLVM;
    }
    return GLC_OK;
}

/* Runs argv (no shell), its stderr into errf; GLC_E_LINK with that stderr on failure. */
static glc_status run_tool(cg_ctx *c, char *const *argv, const char *what, const char *errf) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errf, O_WRONLY | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ), st = 0;
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return glc_diag_set(c->d, GLC_E_LINK, NULL, "cannot run '%s': %s", argv[0], strerror(rc));
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return GLC_OK;
    char msg[700] = "";
    FILE *f = fopen(errf, "r");
    if (f) {
        size_t n = fread(msg, 1, sizeof msg - 1, f);
        msg[n] = 0;
        fclose(f);
    }
    return glc_diag_set(c->d, GLC_E_LINK, NULL, "'%s' failed: %s", what, msg);
}

static const char *tool(const char *opt, const char *env, const char *dflt) {
    const char *t = opt ? opt : getenv(env);
    return t && *t ? t : dflt;
}

extern const unsigned char cg_pool_object[];
extern const size_t cg_pool_object_size;

bool cg_links_pool(const cg_ctx *c) {
    return !c->o->triple && (c->o->emit == GLC_EMIT_SO || c->o->emit == GLC_EMIT_STATIC);
}

static glc_status write_pool_object(cg_ctx *c, const char *path, const char *out_path) {
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(cg_pool_object, 1, cg_pool_object_size, f) == cg_pool_object_size;
    if (f && fclose(f) != 0) ok = false;
    if (!ok) return glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", out_path, strerror(errno));
    return GLC_OK;
}

static glc_status link_so(cg_ctx *c, const char *obj, const char *so, const char *pool,
                          const char *errf) {
    const char *cc = tool(c->o->cc, "CC", "cc");
    char *argv[] = {(char *)cc, "-shared", "-o", (char *)so, (char *)obj, (char *)pool,
                    "-lpthread", "-lm", NULL};
    char what[300];
    snprintf(what, sizeof what, "%s -shared", cc);
    return run_tool(c, argv, what, errf);
}

/* ar rcs <a> <dir>/<prefix>.o: the member is named after the prefix, not the temporary. */
static glc_status archive(cg_ctx *c, const char *a_path, const char *out_path, const char *errf) {
    char dir[4096], obj[4400], pool[4400];
    const char *slash = strrchr(a_path, '/');
    snprintf(dir, sizeof dir, "%.*s/.glc-ar-XXXXXX", slash ? (int)(slash - a_path) : 1,
             slash ? a_path : ".");
    if (!mkdtemp(dir))
        return glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", out_path, strerror(errno));
    snprintf(obj, sizeof obj, "%s/%s.o", dir, c->o->prefix);
    snprintf(pool, sizeof pool, "%s/glc_pool.o", dir);
    bool with_pool = cg_links_pool(c);
    glc_status s = emit_file(c, obj, LLVMObjectFile);
    if (s == GLC_OK && with_pool) s = write_pool_object(c, pool, out_path);
    if (s == GLC_OK) {
        const char *ar = tool(c->o->ar, "AR", "ar");
        remove(a_path); /* ar appends to an existing archive; start from none */
        char *argv[] = {(char *)ar, "rcs", (char *)a_path, obj, with_pool ? pool : NULL, NULL};
        s = run_tool(c, argv, "ar rcs", errf);
    }
    remove(obj);
    remove(pool);
    rmdir(dir);
    return s;
}

static glc_status write_output(cg_ctx *c, const char *tmp, const char *out_path) {
    char t2[4096] = "", t3[4096] = "", t4[4096] = "";
    glc_status s = GLC_OK;
    switch (c->o->emit) {
    case GLC_EMIT_LLVM: {
        char *err = NULL;
        if (LLVMPrintModuleToFile(c->mod, tmp, &err)) {
            s = glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", out_path, err ? err : "");
        }
        LLVMDisposeMessage(err);
        return s;
    }
    case GLC_EMIT_ASM:
        return emit_file(c, tmp, LLVMAssemblyFile);
    case GLC_EMIT_OBJ:
        return emit_file(c, tmp, LLVMObjectFile);
    case GLC_EMIT_HEADER:
        return cg_write_header(c, tmp);
    case GLC_EMIT_STATIC:
        if ((s = make_temp(c, out_path, t3, sizeof t3)) == GLC_OK) s = archive(c, tmp, out_path, t3);
        if (t3[0]) remove(t3);
        return s;
    case GLC_EMIT_SO:
        break;
    }
    bool with_pool = cg_links_pool(c);
    if ((s = make_temp(c, out_path, t2, sizeof t2)) == GLC_OK &&
        (s = make_temp(c, out_path, t3, sizeof t3)) == GLC_OK &&
        (!with_pool || (s = make_temp(c, out_path, t4, sizeof t4)) == GLC_OK) &&
        (s = emit_file(c, t2, LLVMObjectFile)) == GLC_OK &&
        (!with_pool || (s = write_pool_object(c, t4, out_path)) == GLC_OK))
        s = link_so(c, t2, tmp, with_pool ? t4 : NULL, t3);
    if (t2[0]) remove(t2);
    if (t3[0]) remove(t3);
    if (t4[0]) remove(t4);
    return s;
}

glc_status cg_emit_module(cg_ctx *c, const char *out_path) {
    double t0 = now_ms();
    if (c->o->emit != GLC_EMIT_HEADER) GLC_TRY(optimise(c));
    double t1 = now_ms();
    char tmp[4096];
    GLC_TRY(make_temp(c, out_path, tmp, sizeof tmp));
    glc_status s = write_output(c, tmp, out_path);
    if (s == GLC_OK && rename(tmp, out_path) != 0)
        s = glc_diag_set(c->d, GLC_E_IO, NULL, "cannot write %s: %s", out_path, strerror(errno));
    if (s != GLC_OK) remove(tmp);
    glc_codegen_log(c->o, "glc: codegen: optimise %.1f ms, emit %.1f ms -> %s", t1 - t0,
                    now_ms() - t1, out_path);
    return s;
}

char *glc_codegen_host_cpu(void) {
    char *h = LLVMGetHostCPUName();
    char *r = malloc(strlen(h) + 1);
    if (r) strcpy(r, h);
    LLVMDisposeMessage(h);
    return r;
}
