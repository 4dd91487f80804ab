/*
 * arena.c -- bump allocation for everything a graph owns.
 *
 * Blocks are chained; an allocation that does not fit in the current block starts a
 * new one at least as large as the request. Every allocation is zeroed and 64-byte
 * aligned (constant tensors are read by vector code). Nothing is freed one by one.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 64
#define ARENA_BLOCK (256 * 1024)

struct glc_arena_block {
    glc_arena_block *next;
    size_t used, size;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

static size_t align_up(size_t n) {
    return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

void *glc_arena_alloc(glc_arena *a, size_t n) {
    size_t need = align_up(n ? n : 1);
    if (need < n) return NULL; /* overflow */
    glc_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        if (size > SIZE_MAX - sizeof(glc_arena_block)) return NULL;
        b = aligned_alloc(ARENA_ALIGN, align_up(sizeof(glc_arena_block) + size));
        if (!b) return NULL;
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    memset(p, 0, need);
    return p;
}

void *glc_arena_memdup(glc_arena *a, const void *p, size_t n) {
    void *q = glc_arena_alloc(a, n);
    if (q && n) memcpy(q, p, n);
    return q;
}

char *glc_arena_strdup(glc_arena *a, const char *s) {
    if (!s) return NULL;
    return glc_arena_memdup(a, s, strlen(s) + 1);
}

void glc_arena_release(glc_arena *a) {
    glc_arena_block *b = a->head;
    while (b) {
        glc_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
