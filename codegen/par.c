/*
 * par.c -- loops split into tasks for the thread pool (glc_parallel, runtime/pool.c).
 *
 * A split loop becomes a task function  void <caller>.<name>.task(closure *, i32 t)  that
 * calls the body  void <caller>.<name>(i64 lo, i64 hi, captures...)  on items
 * [t*n/T, (t+1)*n/T) of the T tasks (pointer captures noalias, like the kernel's own
 * parameters: they address disjoint regions), and at the loop's place in the caller:
 *
 *   closure = {captured values..., i32 T}
 *   par = glc.par (thread-local, set by <prefix>_invoke_with)
 *   if (par) { T = min(k * par->n_threads, max_tasks); par->run(par->self, T, task, &closure) }
 *   else     { T = 1; task(&closure, 0) }
 *
 * with k = p->tasks_per_thread: 4 unless the caller raised it.
 *
 * The body is emitted once, inside the body function: cg_par_begin() swaps each captured
 * value of the caller (pointers, indices) for the body's parameter carrying it, and
 * cg_par_end() swaps them back, so a body emitter written for the caller runs unchanged.
 * k tasks a thread, claimed dynamically: when one core is slowed (the machine is shared,
 * or another pool spins on it), the others take more of the tasks.
 * Constants need no capture; any other caller value the body uses must be captured (the
 * verifier rejects the module otherwise).
 */
#include "cg_impl.h"

#include <stdio.h>

enum { CG_PAR_TASKS_PER_THREAD = 4 };

/* maxv: the most tasks (i32: the items, a constant or, for run-time items, a value: fewer
 * than min_items run on the calling thread). */
static void dispatch(cg_ctx *c, LLVMValueRef task, LLVMValueRef cl, LLVMTypeRef clt,
                     unsigned n_field, LLVMValueRef maxv, int tasks_per_thread,
                     int64_t min_items) {
    LLVMTypeRef part = cg_parallel_type(c);
    LLVMValueRef nfp = LLVMBuildStructGEP2(c->b, clt, cl, n_field, "");
    LLVMValueRef par = LLVMBuildLoad2(c->b, c->ptr, cg_par_tls(c), "par");
    LLVMValueRef use = LLVMBuildIsNotNull(c->b, par, "");
    if (!LLVMIsAConstantInt(maxv))
        use = LLVMBuildAnd(c->b, use,
                           LLVMBuildICmp(c->b, LLVMIntUGE, maxv,
                                         LLVMConstInt(c->i32, (unsigned long long)min_items, 0), ""),
                           "");
    cg_if pf;
    cg_if_begin(c, &pf, use);
    LLVMValueRef nt = LLVMBuildLoad2(c->b, c->i32, LLVMBuildStructGEP2(c->b, part, par, 1, ""), "");
    nt = LLVMBuildNUWMul(c->b, nt, LLVMConstInt(c->i32, (unsigned)tasks_per_thread, 0), "");
    nt = LLVMBuildSelect(c->b, LLVMBuildICmp(c->b, LLVMIntULT, nt, maxv, ""), nt, maxv, "");
    LLVMBuildStore(c->b, nt, nfp);
    LLVMValueRef self =
        LLVMBuildLoad2(c->b, c->ptr, LLVMBuildStructGEP2(c->b, part, par, 0, ""), "");
    LLVMValueRef run =
        LLVMBuildLoad2(c->b, c->ptr, LLVMBuildStructGEP2(c->b, part, par, 3, ""), "");
    LLVMTypeRef rpt[4] = {c->ptr, c->i32, c->ptr, c->ptr};
    LLVMValueRef rargs[4] = {self, nt, task, cl};
    LLVMBuildCall2(c->b, LLVMFunctionType(c->void_t, rpt, 4, 0), run, rargs, 4, "");
    cg_if_else(c, &pf);
    LLVMBuildStore(c->b, LLVMConstInt(c->i32, 1, 0), nfp);
    LLVMValueRef targs[2] = {cl, LLVMConstInt(c->i32, 0, 0)};
    LLVMBuildCall2(c->b, LLVMGlobalGetValueType(task), task, targs, 2, "");
    cg_if_end(c, &pf);
}

static LLVMValueRef task_fn(cg_ctx *c, const char *suffix) {
    char name[200];
    size_t len = 0;
    const char *caller = LLVMGetValueName2(LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b)), &len);
    snprintf(name, sizeof name, "%.*s.%s", (int)(len < 180 ? len : 180), caller, suffix);
    LLVMTypeRef pt[2] = {c->ptr, c->i32};
    LLVMValueRef fn = LLVMAddFunction(c->mod, name, LLVMFunctionType(c->void_t, pt, 2, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    unsigned ni = LLVMGetEnumAttributeKindForName("noinline", 8);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(c->ctx, ni, 0));
    return fn;
}

static LLVMValueRef item_bound(cg_ctx *c, LLVMValueRef task, LLVMValueRef n_tasks,
                               LLVMValueRef items, int64_t plus) {
    LLVMValueRef t = LLVMBuildZExt(c->b, task, c->i64, "");
    LLVMValueRef n = LLVMBuildZExt(c->b, n_tasks, c->i64, "");
    return LLVMBuildUDiv(c->b, LLVMBuildNUWMul(c->b, cg_addk(c, t, plus), items, ""), n, "");
}

/* The body void <caller>.par(i64 lo, i64 hi, captures...) with noalias pointer captures:
 * the captured pointers address disjoint regions, as the kernel's own noalias parameters
 * do, and without the attribute loops over several loaded pointers lose vectorisation. */
static LLVMValueRef body_fn(cg_ctx *c, const LLVMTypeRef *ft, int n, const char *name_) {
    LLVMTypeRef pt[CG_PAR_MAX_CAPS + 4] = {c->i64, c->i64};
    for (int k = 0; k < n; k++)
        pt[k + 2] = ft[k];
    char name[200];
    size_t len = 0;
    const char *caller = LLVMGetValueName2(LLVMGetBasicBlockParent(LLVMGetInsertBlock(c->b)), &len);
    snprintf(name, sizeof name, "%.*s.%s", (int)(len < 180 ? len : 180), caller, name_);
    LLVMValueRef fn =
        LLVMAddFunction(c->mod, name, LLVMFunctionType(c->void_t, pt, (unsigned)n + 2, 0));
    LLVMSetLinkage(fn, LLVMInternalLinkage);
    cg_fn_attrs(c, fn);
    unsigned na = LLVMGetEnumAttributeKindForName("noalias", 7);
    for (int k = 0; k < n; k++)
        if (ft[k] == c->ptr)
            LLVMAddAttributeAtIndex(fn, (unsigned)k + 3, LLVMCreateEnumAttribute(c->ctx, na, 0));
    return fn;
}

void cg_par_begin(cg_ctx *c, cg_par *p, int64_t items, bool split, LLVMValueRef **caps, int n_caps,
                  const char *name) {
    cg_par_begin_v(c, p, cg_i64(c, items), split && items > 1, caps, n_caps, name);
}

void cg_par_begin_v(cg_ctx *c, cg_par *p, LLVMValueRef items, bool split, LLVMValueRef **caps,
                    int n_caps, const char *name) {
    p->split = split;
    p->items_v = items;
    p->min_items = 2;
    p->items = LLVMIsAConstantInt(items) ? LLVMConstIntGetSExtValue(items) : -1;
    p->tasks_per_thread = CG_PAR_TASKS_PER_THREAD;
    p->n = 0;
    if (!p->split) {
        p->lo = cg_i64(c, 0);
        p->hi = items;
        return;
    }
    LLVMTypeRef ft[CG_PAR_MAX_CAPS + 3];
    LLVMValueRef *all[CG_PAR_MAX_CAPS + 2];
    for (int k = 0; k < n_caps && k < CG_PAR_MAX_CAPS; k++)
        all[k] = caps[k];
    if (n_caps > CG_PAR_MAX_CAPS) n_caps = CG_PAR_MAX_CAPS;
    all[n_caps++] = &c->syms;     /* the symbols' values, read by cg_dim in the body */
    all[n_caps++] = &p->items_v;  /* run-time items: the task splits them */
    caps = all;
    int items_slot = -1;
    for (int k = 0; k < n_caps && p->n < CG_PAR_MAX_CAPS + 2; k++) {
        LLVMValueRef v = *caps[k];
        if (!v || LLVMIsConstant(v)) continue;
        if (caps[k] == &p->items_v) items_slot = p->n;
        p->slot[p->n] = caps[k];
        p->orig[p->n] = v;
        ft[p->n++] = LLVMTypeOf(v);
    }
    ft[p->n] = c->i32;
    p->clt = LLVMStructTypeInContext(c->ctx, ft, (unsigned)p->n + 1, 0);
    p->here = LLVMGetInsertBlock(c->b);
    LLVMValueRef body = body_fn(c, ft, p->n, name);
    /* the task: loads the closure, calls the body on its range */
    char task[64];
    snprintf(task, sizeof task, "%s.task", name);
    p->fn = task_fn(c, task);
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, p->fn, "entry"));
    LLVMValueRef cl = LLVMGetParam(p->fn, 0), args[CG_PAR_MAX_CAPS + 4];
    LLVMValueRef nt =
        LLVMBuildLoad2(c->b, c->i32, LLVMBuildStructGEP2(c->b, p->clt, cl, (unsigned)p->n, ""), "");
    for (int k = 0; k < p->n; k++)
        args[k + 2] =
            LLVMBuildLoad2(c->b, ft[k], LLVMBuildStructGEP2(c->b, p->clt, cl, (unsigned)k, ""), "");
    LLVMValueRef its = items_slot >= 0 ? args[items_slot + 2] : items;
    args[0] = item_bound(c, LLVMGetParam(p->fn, 1), nt, its, 0);
    args[1] = item_bound(c, LLVMGetParam(p->fn, 1), nt, its, 1);
    LLVMBuildCall2(c->b, LLVMGlobalGetValueType(body), body, args, (unsigned)p->n + 2, "");
    LLVMBuildRetVoid(c->b);
    /* the body, where the caller emits its loop */
    LLVMPositionBuilderAtEnd(c->b, LLVMAppendBasicBlockInContext(c->ctx, body, "entry"));
    for (int k = 0; k < p->n; k++)
        *p->slot[k] = LLVMGetParam(body, (unsigned)k + 2);
    p->lo = LLVMGetParam(body, 0);
    p->hi = LLVMGetParam(body, 1);
    cg_dims_hoist_begin(c);
}

void cg_par_end(cg_ctx *c, cg_par *p) {
    if (!p->split) return;
    cg_dims_end(c);
    LLVMBuildRetVoid(c->b);
    LLVMPositionBuilderAtEnd(c->b, p->here);
    LLVMValueRef cl = cg_alloca_entry(c, p->clt);
    for (int k = 0; k < p->n; k++) {
        *p->slot[k] = p->orig[k];
        LLVMBuildStore(c->b, p->orig[k], LLVMBuildStructGEP2(c->b, p->clt, cl, (unsigned)k, ""));
    }
    LLVMValueRef maxv = p->items >= 0 ? LLVMConstInt(c->i32, (unsigned long long)p->items, 0)
                                      : LLVMBuildTrunc(c->b, p->items_v, c->i32, "");
    dispatch(c, p->fn, cl, p->clt, (unsigned)p->n, maxv, p->tasks_per_thread,
             p->min_items < 2 ? 2 : p->min_items);
}
