/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The seam between Keel and the kernel: the only functions in the library that call libsel4
 * invocations. Each counts the call in a keel_kstat_t and, on error, keeps the kernel's error
 * and detail words there, so a KEEL_EKERNEL can be explained.
 */
#pragma once

#include <keel/error.h>

seL4_Error kc_retype(keel_kstat_t *ks, seL4_CPtr ut, seL4_Word type, seL4_Word size_bits,
                     seL4_CNode root, seL4_Word node_index, seL4_Word node_depth,
                     seL4_Word node_offset, seL4_Word num_objects);
seL4_Error kc_revoke(keel_kstat_t *ks, seL4_CNode root, seL4_Word index, seL4_Uint8 depth);
seL4_Error kc_delete(keel_kstat_t *ks, seL4_CNode root, seL4_Word index, seL4_Uint8 depth);
seL4_Error kc_mint(keel_kstat_t *ks, seL4_CNode root, seL4_Word dest, seL4_Uint8 dest_depth,
                   seL4_CNode src_root, seL4_Word src, seL4_Uint8 src_depth,
                   seL4_CapRights_t rights, seL4_Word badge);
seL4_Error kc_copy(keel_kstat_t *ks, seL4_CNode root, seL4_Word dest, seL4_Uint8 dest_depth,
                   seL4_CNode src_root, seL4_Word src, seL4_Uint8 src_depth,
                   seL4_CapRights_t rights);
seL4_Error kc_tcb_suspend(keel_kstat_t *ks, seL4_TCB tcb);
seL4_Error kc_tcb_unbind(keel_kstat_t *ks, seL4_TCB tcb);
/* Write every register of a (stopped) thread as zero; the kernel sanitises the flags word. */
seL4_Error kc_tcb_zero_registers(keel_kstat_t *ks, seL4_TCB tcb);
/* Set a thread's maximum controlled priority and priority, with `authority` as the authority. */
seL4_Error kc_tcb_set_sched_params(keel_kstat_t *ks, seL4_TCB tcb, seL4_TCB authority,
                                   seL4_Word mcp, seL4_Word prio);
/* Poll a notification (seL4_Poll: a system call, not an invocation; it cannot fail): its word
 * if it was active, which resets it to idle, or 0. */
seL4_Word kc_poll(keel_kstat_t *ks, seL4_CPtr ntfn);
seL4_Error kc_page_unmap(keel_kstat_t *ks, seL4_CPtr frame);
/* Unmap a page table, page directory or PDPT (by its object type). */
seL4_Error kc_table_unmap(keel_kstat_t *ks, seL4_Word type, seL4_CPtr table);
seL4_Error kc_page_map(keel_kstat_t *ks, seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr,
                       seL4_CapRights_t rights);
/* Move the calling thread's reply cap (from a Call it received) into a slot. */
seL4_Error kc_save_caller(keel_kstat_t *ks, seL4_CNode root, seL4_Word index, seL4_Uint8 depth);
seL4_Error kc_set_space(keel_kstat_t *ks, seL4_TCB tcb, seL4_Word fault_ep, seL4_CNode cspace,
                        seL4_Word cspace_data, seL4_CPtr vspace, seL4_Word vspace_data);
