/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/meta.h — storage for Keel's own bookkeeping records.
 *
 * A root task has no heap at boot, so every Keel allocator keeps its records in memory the
 * caller gives it: an initial region, plus a grow hook the allocator calls when that runs out
 * (a root task can map a fresh frame there; a host program can call malloc). A keel_meta_t is
 * a pool of fixed-size records carved from those regions: take/put are O(1), and reserve()
 * lets an operation make sure of all the records it will need before its first kernel call.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <keel/error.h>

/*
 * Grow hook: provide at least `min_bytes` of zeroed, 16-byte aligned memory that stays valid
 * until the allocator is finished with. Return KEEL_OK with *mem and *bytes set, or an error
 * (usually KEEL_ENOMETA) when there is none.
 */
typedef keel_err_t (*keel_grow_fn)(void *ctx, size_t min_bytes, void **mem, size_t *bytes);

/* Caller-provided storage for one allocator: an initial region and/or a grow hook. */
typedef struct keel_storage {
    void *mem; /* may be NULL */
    size_t bytes;
    keel_grow_fn grow; /* may be NULL: then only `mem` is used */
    void *grow_ctx;
} keel_storage_t;

/* A pool of fixed-size records (fields private). */
typedef struct keel_meta {
    size_t rec_size; /* rounded up to 16 */
    void *free_list; /* records put back */
    size_t num_free; /* on the free list */
    uint8_t *bump;   /* unused part of the current region */
    uint8_t *bump_end;
    keel_storage_t storage;
    size_t bytes_given; /* all memory the pool was given */
    size_t live;        /* records taken and not put back */
} keel_meta_t;

void keel_meta_init(keel_meta_t *m, size_t rec_size, const keel_storage_t *storage);

/* Make sure n more records can be taken without failing (growing if needed). */
keel_err_t keel_meta_reserve(keel_meta_t *m, size_t n);

/* A zeroed record; only after a successful reserve for it. Never fails. */
void *keel_meta_take(keel_meta_t *m);

/* Give a record back. */
void keel_meta_put(keel_meta_t *m, void *rec);

/* Records that can be taken without growing. */
size_t keel_meta_available(const keel_meta_t *m);

/* Raw bytes from the pool's storage (for arrays sized at init); NULL if there are none. */
void *keel_meta_carve(keel_meta_t *m, size_t bytes);
