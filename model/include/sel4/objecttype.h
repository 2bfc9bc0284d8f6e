/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Object types for x86_64 non-MCS default configuration (sel4-semantics §1.2). Types the
 * configuration leaves out keep libsel4's sentinel values, which Retype rejects.
 */
#pragma once

#include <sel4/simple_types.h>

typedef enum api_object {
    seL4_UntypedObject,
    seL4_TCBObject,
    seL4_EndpointObject,
    seL4_NotificationObject,
    seL4_CapTableObject,
    seL4_NonArchObjectTypeCount
} seL4_ObjectType;

typedef enum _mode_object {
    seL4_X86_PDPTObject = seL4_NonArchObjectTypeCount,
    seL4_X64_PML4Object,
    seL4_X64_HugePageObject,
    seL4_ModeObjectTypeCount
} seL4_seL4ArchObjectType;

typedef enum _object {
    seL4_X86_4K = seL4_ModeObjectTypeCount,
    seL4_X86_LargePageObject,
    seL4_X86_PageTableObject,
    seL4_X86_PageDirectoryObject,
    seL4_ObjectTypeCount
} seL4_ArchObjectType;

/* Configured out (no IOMMU, no VT-x): present as names only. */
#define seL4_X86_IOPageTableObject 0xffffff
#define seL4_X86_VCPUObject        0xfffffe
#define seL4_X86_EPTPML4Object     0xfffffd
#define seL4_X86_EPTPDPTObject     0xfffffc
#define seL4_X86_EPTPDObject       0xfffffb
#define seL4_X86_EPTPTObject       0xfffffa

typedef seL4_Word object_t;
