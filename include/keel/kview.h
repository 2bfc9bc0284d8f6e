/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/kview.h — what an invariant checker may ask of the kernel.
 *
 * Each Keel module's *_check() verifies its own invariants and, when given a view of the
 * kernel, that its records agree with the caps the kernel holds. On the model the view is the
 * model's inspection API (tests/support); on seL4 a debug build can provide one, or pass NULL
 * to check Keel's side only.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <sel4/sel4.h>

typedef struct keel_cap_view {
    bool present;       /* the slot holds a cap */
    bool untyped;       /* ... an untyped cap */
    bool cnode;         /* ... a CNode cap */
    bool frame;         /* ... a frame cap */
    uint64_t paddr;     /* untyped/frame/object base */
    unsigned size_bits; /* untyped/frame/object size; CNode: radix */
    bool device;
    bool has_children;  /* at least one CDT child */
    uint64_t watermark; /* untyped: bytes used */
} keel_cap_view_t;

typedef struct keel_kview {
    /* The cap in the slot `cptr` names (full depth); false if the CPtr does not resolve. */
    bool (*cap)(void *ctx, seL4_CPtr cptr, keel_cap_view_t *out);
    /* The cap at (root, index, depth) as a CNode invocation addresses it; may be NULL. */
    bool (*cap_at)(void *ctx, seL4_CNode root, seL4_Word index, seL4_Word depth,
                   keel_cap_view_t *out);
    void *ctx;
} keel_kview_t;
