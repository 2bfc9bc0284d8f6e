/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A pool of fixed-size records over caller-provided regions.
 *
 * Records come first from the free list (records put back), then by bumping through the
 * current region; when both are empty the grow hook supplies a new region. The pool never
 * gives memory back: records put back are reused, so the memory held is the high-water mark
 * of live records, rounded up to whole regions. Every operation is O(1) except a grow.
 */
#include <keel/meta.h>

#include "core/assert.h"

#define META_ALIGN 16u

static size_t round_up(size_t x, size_t a)
{
    return (x + a - 1) & ~(a - 1);
}

static void zero(void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        b[i] = 0;
    }
}

static void adopt(keel_meta_t *m, void *mem, size_t bytes)
{
    uintptr_t start = round_up((uintptr_t)mem, META_ALIGN);
    uintptr_t end = (uintptr_t)mem + bytes;
    if (mem == NULL || end <= start) {
        m->bump = m->bump_end = NULL;
        return;
    }
    m->bump = (uint8_t *)start;
    m->bump_end = (uint8_t *)end;
    m->bytes_given += bytes;
}

void keel_meta_init(keel_meta_t *m, size_t rec_size, const keel_storage_t *storage)
{
    m->rec_size = round_up(rec_size < sizeof(void *) ? sizeof(void *) : rec_size, META_ALIGN);
    m->free_list = NULL;
    m->num_free = 0;
    m->bytes_given = 0;
    m->live = 0;
    m->storage = *storage;
    adopt(m, storage->mem, storage->bytes);
}

static size_t bump_records(const keel_meta_t *m)
{
    return m->bump == NULL ? 0 : (size_t)(m->bump_end - m->bump) / m->rec_size;
}

/* Move the current region's remaining whole records to the free list, before switching
 * regions, so none is lost. */
static void retire_region(keel_meta_t *m)
{
    while (bump_records(m) > 0) {
        void *rec = m->bump;
        m->bump += m->rec_size;
        *(void **)rec = m->free_list;
        m->free_list = rec;
        m->num_free++;
    }
}

size_t keel_meta_available(const keel_meta_t *m)
{
    return m->num_free + bump_records(m);
}

keel_err_t keel_meta_reserve(keel_meta_t *m, size_t n)
{
    while (keel_meta_available(m) < n) {
        if (m->storage.grow == NULL) {
            return KEEL_ENOMETA;
        }
        retire_region(m);
        size_t want = (n - keel_meta_available(m)) * m->rec_size + META_ALIGN;
        void *mem = NULL;
        size_t bytes = 0;
        keel_err_t err = m->storage.grow(m->storage.grow_ctx, want, &mem, &bytes);
        if (err != KEEL_OK) {
            return err;
        }
        if (mem == NULL || bytes < want) {
            return KEEL_ENOMETA; /* a hook that gives less than asked is not usable */
        }
        adopt(m, mem, bytes);
    }
    return KEEL_OK;
}

void *keel_meta_take(keel_meta_t *m)
{
    void *rec;
    if (m->free_list != NULL) {
        rec = m->free_list;
        m->free_list = *(void **)rec;
        m->num_free--;
    } else {
        KEEL_ASSERT(bump_records(m) > 0, "keel_meta_take without a reserve");
        rec = m->bump;
        m->bump += m->rec_size;
    }
    zero(rec, m->rec_size);
    m->live++;
    return rec;
}

void keel_meta_put(keel_meta_t *m, void *rec)
{
    *(void **)rec = m->free_list;
    m->free_list = rec;
    m->num_free++;
    m->live--;
}

void *keel_meta_carve(keel_meta_t *m, size_t bytes)
{
    size_t need = round_up(bytes, META_ALIGN);
    if (m->bump == NULL || (size_t)(m->bump_end - m->bump) < need) {
        if (m->storage.grow == NULL) {
            return NULL;
        }
        void *mem = NULL;
        size_t got = 0;
        if (m->storage.grow(m->storage.grow_ctx, need + META_ALIGN, &mem, &got) != KEEL_OK ||
            mem == NULL || got < need + META_ALIGN) {
            return NULL;
        }
        retire_region(m);
        adopt(m, mem, got);
    }
    void *p = m->bump;
    m->bump += need;
    zero(p, need);
    return p;
}
