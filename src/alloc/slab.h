/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A slab run: 2^k kernel objects of one type made from one untyped block into one run of
 * consecutive slots, 256 per retype, so object i is slot first + i at paddr block.paddr +
 * (i << obj_bits). Object caches and frame pools are built from runs. Unmaking a run is one
 * revoke of its block (deleting every object) and giving the block and slots back.
 */
#pragma once

#include <keel/cslot.h>
#include <keel/error.h>
#include <keel/untyped.h>

struct slab_run {
    keel_ut_block_t block;
    seL4_CPtr first;
    uint32_t count;
};

/*
 * Make `count` (a power of two) objects of `type` (retype size_bits `size_bits`, each 2^obj_bits
 * bytes). At `paddr` when `at` is set (the block must be free there). On failure nothing is
 * left behind.
 */
keel_err_t slab_run_make(keel_ut_t *ut, keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type,
                         seL4_Word size_bits, unsigned obj_bits, uint32_t count, bool at,
                         uint64_t paddr, struct slab_run *out);

/* Remake a run's objects in place (revoke the block, retype again: the kernel zeroes it). */
keel_err_t slab_run_remake(keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type, seL4_Word size_bits,
                           const struct slab_run *run);

/* Destroy every object and give the block and slots back. KEEL_EKERNEL changes nothing. */
keel_err_t slab_run_unmake(keel_ut_t *ut, keel_cslot_t *cs, const struct slab_run *run);

/*
 * The same in steps, for callers that must know which objects exist after a failure:
 * revoke the block (every object goes; KEEL_EKERNEL changes nothing); retype the objects again
 * after a revoke, `*made` set to how many exist (a prefix of the run, whole batches) whether
 * or not it fails; give back the block and slots of a run whose block has no children (no
 * kernel call).
 */
keel_err_t slab_run_revoke(keel_cslot_t *cs, keel_kstat_t *ks, const struct slab_run *run);
keel_err_t slab_run_retype(keel_cslot_t *cs, keel_kstat_t *ks, seL4_Word type, seL4_Word size_bits,
                           const struct slab_run *run, uint32_t *made);
void slab_run_release(keel_ut_t *ut, keel_cslot_t *cs, const struct slab_run *run);
