/* SPDX-License-Identifier: BSD-2-Clause */
#include "alloc/slab.h"

#include "core/assert.h"
#include "kernel/kcall.h"

static unsigned log2_of(uint32_t n)
{
    return 31u - (unsigned)__builtin_clz(n);
}

/* Retype the run's objects into its slots, up to the fan-out per call; *made: how many exist. */
static seL4_Error retype_all(keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type,
                             seL4_Word size_bits, const struct slab_run *run, uint32_t *made)
{
    for (*made = 0; *made < run->count;) {
        uint32_t left = run->count - *made;
        uint32_t n = left < seL4_UntypedRetypeMaxObjects ? left : seL4_UntypedRetypeMaxObjects;
        keel_slot_dest_t d;
        keel_cslot_dest(cs, run->first + *made, &d);
        seL4_Error err =
            kc_retype(ks, run->block.cptr, type, size_bits, d.root, d.index, d.depth, d.offset, n);
        if (err != seL4_NoError) {
            return err;
        }
        *made += n;
    }
    return seL4_NoError;
}

keel_err_t slab_run_make(keel_ut_t *ut, keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type,
                         seL4_Word size_bits, unsigned obj_bits, uint32_t count, bool at,
                         uint64_t paddr, struct slab_run *out)
{
    KEEL_ASSERT(count != 0 && (count & (count - 1)) == 0, "slab_run_make: count not a power of 2");
    unsigned block_bits = obj_bits + log2_of(count);
    keel_err_t err = at ? keel_ut_alloc_at(ut, paddr, block_bits, &out->block)
                        : keel_ut_alloc(ut, block_bits, 0, &out->block);
    if (err != KEEL_OK) {
        return err;
    }
    err = keel_cslot_alloc_range(cs, count, &out->first);
    if (err != KEEL_OK) {
        (void)keel_ut_free(ut, &out->block, KEEL_UT_NO_DERIVED);
        return err;
    }
    out->count = count;
    uint32_t made;
    if (retype_all(cs, ks, type, size_bits, out, &made) != seL4_NoError) {
        /* Freeing the block revokes it: the batches already made go with it. */
        (void)keel_ut_free(ut, &out->block, 0);
        keel_cslot_free_range(cs, out->first, count);
        return KEEL_EKERNEL;
    }
    return KEEL_OK;
}

keel_err_t slab_run_revoke(keel_cslot_t *cs, keel_kstat_t *ks, const struct slab_run *run)
{
    return kc_revoke(ks, keel_cslot_root(cs), run->block.cptr, keel_cslot_depth(cs)) == seL4_NoError
               ? KEEL_OK
               : KEEL_EKERNEL;
}

keel_err_t slab_run_retype(keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type, seL4_Word size_bits,
                           const struct slab_run *run, uint32_t *made)
{
    return retype_all(cs, ks, type, size_bits, run, made) == seL4_NoError ? KEEL_OK : KEEL_EKERNEL;
}

keel_err_t slab_run_remake(keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type, seL4_Word size_bits,
                           const struct slab_run *run)
{
    keel_err_t err = slab_run_revoke(cs, ks, run);
    uint32_t made;
    return err != KEEL_OK ? err : slab_run_retype(cs, ks, type, size_bits, run, &made);
}

void slab_run_release(keel_ut_t *ut, keel_cslot_t *cs, const struct slab_run *run)
{
    keel_err_t err = keel_ut_free(ut, &run->block, KEEL_UT_NO_DERIVED);
    KEEL_ASSERT(err == KEEL_OK, "slab_run_release: the untyped allocator refused its block");
    keel_cslot_free_range(cs, run->first, run->count);
}

keel_err_t slab_run_unmake(keel_ut_t *ut, keel_cslot_t *cs, const struct slab_run *run)
{
    keel_err_t err = keel_ut_free(ut, &run->block, 0);
    if (err != KEEL_OK) {
        return err;
    }
    keel_cslot_free_range(cs, run->first, run->count);
    return KEEL_OK;
}
