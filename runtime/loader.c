/*
 * loader.c -- opening a compiled model with dlopen and checking its ABI.
 *
 * This is the only runtime code outside the compiled model; it knows nothing of the
 * IR, LLVM or protobuf. It may allocate (once, at open); run() goes straight to the
 * model's own entry point.
 */
#include "glc_runtime.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GLC_STR2(x) #x
#define GLC_STR(x) GLC_STR2(x)
#define GLC_ABI_STR GLC_STR(GLC_ABI_VERSION)

struct glc_rt_model {
    void *handle;
    glc_model_describe_fn info;
    glc_model_plan_fn plan;
    glc_model_invoke_fn run;
    glc_model_invoke_with_fn run_with;
};

static void set_err(char *err, size_t len, const char *fmt, const char *a, const char *b) {
    if (err && len) snprintf(err, len, fmt, a, b ? b : "");
}

static void *bind(void *h, const char *prefix, const char *suffix) {
    char name[256];
    snprintf(name, sizeof name, "%s_%s", prefix, suffix);
    return dlsym(h, name);
}

glc_rt_status glc_rt_model_open(const char *path, const char *prefix, glc_rt_model **out,
                                char *err, size_t errlen) {
    *out = NULL;
    if (!prefix) prefix = "glc_model";
    /* A relative path without '/' would search the library path, not the current dir. */
    char buf[4096];
    if (!strchr(path, '/')) {
        snprintf(buf, sizeof buf, "./%s", path);
        path = buf;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        set_err(err, errlen, "cannot load compiled model: %s%s", dlerror(), NULL);
        return GLC_RT_E_LOAD;
    }
    glc_model_describe_fn info;
    glc_model_plan_fn plan;
    glc_model_invoke_fn run;
    glc_model_invoke_with_fn run_with;
    *(void **)&info = bind(h, prefix, "describe");
    *(void **)&plan = bind(h, prefix, "plan");
    *(void **)&run = bind(h, prefix, "invoke");
    *(void **)&run_with = bind(h, prefix, "invoke_with");
    const glc_model_desc *mi = info ? info() : NULL;
    if (mi && mi->abi_version != GLC_ABI_VERSION) { /* first: an older model lacks _plan */
        char v[32];
        snprintf(v, sizeof v, "%u", mi->abi_version);
        set_err(err, errlen, "%s: model ABI version %s, this runtime expects " GLC_ABI_STR, path, v);
        dlclose(h);
        return GLC_RT_E_ABI;
    }
    if (!mi || !plan || !run || !run_with) {
        set_err(err, errlen,
                "%s: no symbols %s_describe/_plan/_invoke/_invoke_with (not a glc model of this "
                "ABI, or another --name)",
                path, prefix);
        dlclose(h);
        return GLC_RT_E_LOAD;
    }
    glc_rt_model *m = calloc(1, sizeof *m);
    if (!m) {
        dlclose(h);
        set_err(err, errlen, "%s: out of memory", path, NULL);
        return GLC_RT_E_LOAD;
    }
    m->handle = h;
    m->info = info;
    m->plan = plan;
    m->run = run;
    m->run_with = run_with;
    *out = m;
    return GLC_RT_OK;
}

const glc_model_desc *glc_rt_model_desc(const glc_rt_model *m) {
    return m->info();
}

glc_rt_status glc_rt_model_plan(const glc_rt_model *m, const int64_t *const *input_dims,
                                int64_t *const *output_dims, uint64_t *workspace_size) {
    return m->plan(input_dims, output_dims, workspace_size);
}

glc_rt_status glc_rt_model_run(const glc_rt_model *m, const void *const *inputs,
                               const int64_t *const *input_dims, void *const *outputs,
                               void *workspace, uint64_t workspace_size) {
    return m->run(inputs, input_dims, outputs, workspace, workspace_size);
}

glc_rt_status glc_rt_model_run_with(const glc_rt_model *m, const void *const *inputs,
                                    const int64_t *const *input_dims, void *const *outputs,
                                    void *workspace, uint64_t workspace_size,
                                    const glc_parallel *par) {
    return m->run_with(inputs, input_dims, outputs, workspace, workspace_size, par);
}

void glc_rt_model_close(glc_rt_model *m) {
    if (!m) return;
    dlclose(m->handle);
    free(m);
}

const char *glc_rt_status_name(glc_rt_status s) {
    switch (s) {
    case GLC_RT_OK: return "ok";
    case GLC_RT_E_ARG: return "invalid argument";
    case GLC_RT_E_WORKSPACE: return "workspace missing or too small";
    case GLC_RT_E_ABI: return "ABI version mismatch";
    case GLC_RT_E_LOAD: return "cannot load model";
    case GLC_RT_E_NOMEM: return "out of memory";
    case GLC_RT_E_NOT_STREAM: return "not a stream model (compile with --stream)";
    case GLC_RT_E_SHAPE: return "input dims the model does not accept";
    }
    return "unknown status";
}
