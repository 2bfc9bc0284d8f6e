/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Constants of the x86_64, non-MCS, default kernel configuration (sel4-semantics §1.1); the
 * configuration options themselves are in <autoconf.h>.
 */
#pragma once

#include <autoconf.h> /* the CONFIG_ options, as libsel4 includes them (<sel4/config.h>) */

#define seL4_WordBits           64
#define seL4_WordSizeBits       3
#define seL4_SlotBits           5
#define seL4_PageBits           12
#define seL4_LargePageBits      21
#define seL4_HugePageBits       30
#define seL4_TCBBits            11
#define seL4_EndpointBits       4
#define seL4_NotificationBits   5
#define seL4_PageTableBits      12
#define seL4_PageTableEntryBits 3
#define seL4_PageTableIndexBits 9
#define seL4_PageDirBits        12
#define seL4_PageDirEntryBits   3
#define seL4_PageDirIndexBits   9
#define seL4_PDPTBits           12
#define seL4_PDPTEntryBits      3
#define seL4_PDPTIndexBits      9
#define seL4_PML4Bits           12
#define seL4_PML4EntryBits      3
#define seL4_PML4IndexBits      9
#define seL4_VSpaceBits         seL4_PML4Bits
#define seL4_IOPageTableBits    12
#define seL4_ASIDPoolBits       12
#define seL4_ASIDPoolIndexBits  9
#define seL4_NumASIDPoolsBits   3
#define seL4_MinUntypedBits     4
#define seL4_MaxUntypedBits     47
#define seL4_UserTop            0x00007ffffffff000ul

#define seL4_MsgLengthBits        7
#define seL4_MsgMaxLength         120
#define seL4_MsgExtraCapBits      2
#define seL4_MsgMaxExtraCaps      ((1 << seL4_MsgExtraCapBits) - 1)
#define seL4_FastMessageRegisters 4
#define seL4_IPCBufferSizeBits    10
#define seL4_CapRightsBits        4
#define seL4_GuardSizeBits        6
#define seL4_GuardBits            58
#define seL4_BadgeBits            64

/* The most objects one Retype may create. */
#define seL4_UntypedRetypeMaxObjects CONFIG_RETYPE_FAN_OUT_LIMIT

#define seL4_NumPriorities CONFIG_NUM_PRIORITIES
#define seL4_MinPrio       0
#define seL4_MaxPrio       (seL4_NumPriorities - 1)

/* Where a lookup failed, in the detail words of seL4_FailedLookup and of cap faults. */
typedef enum {
    seL4_NoFailure = 0,
    seL4_InvalidRoot,
    seL4_MissingCapability,
    seL4_DepthMismatch,
    seL4_GuardMismatch
} seL4_LookupFailureType;

/* The MR2 value of a failed x86_64 Page/PageTable map says which level is missing. */
#define SEL4_MAPPING_LOOKUP_LEVEL   2
#define SEL4_MAPPING_LOOKUP_NO_PT   21
#define SEL4_MAPPING_LOOKUP_NO_PD   30
#define SEL4_MAPPING_LOOKUP_NO_PDPT 39
