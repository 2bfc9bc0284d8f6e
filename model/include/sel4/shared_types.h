/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libsel4's value types and their bitfield helpers: message info (§2.4), rights (§2.5),
 * CNode cap data (§2.6), the IPC buffer (§2.7), x86_64 user context and VM attributes.
 */
#pragma once

#include <sel4/simple_types.h>
#include <sel4/constants.h>

/* ---- seL4_MessageInfo: label 63..12, capsUnwrapped 11..9, extraCaps 8..7, length 6..0 ---- */

typedef struct seL4_MessageInfo {
    seL4_Uint64 words[1];
} seL4_MessageInfo_t;

static inline seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Uint64 label, seL4_Uint64 capsUnwrapped,
                                                      seL4_Uint64 extraCaps, seL4_Uint64 length)
{
    seL4_MessageInfo_t m;
    m.words[0] = ((label & 0xfffffffffffffull) << 12) | ((capsUnwrapped & 0x7ull) << 9) |
                 ((extraCaps & 0x3ull) << 7) | (length & 0x7full);
    return m;
}

static inline seL4_Uint64 seL4_MessageInfo_get_label(seL4_MessageInfo_t m)
{
    return (m.words[0] >> 12) & 0xfffffffffffffull;
}

static inline seL4_Uint64 seL4_MessageInfo_get_capsUnwrapped(seL4_MessageInfo_t m)
{
    return (m.words[0] >> 9) & 0x7ull;
}

static inline seL4_Uint64 seL4_MessageInfo_get_extraCaps(seL4_MessageInfo_t m)
{
    return (m.words[0] >> 7) & 0x3ull;
}

static inline seL4_Uint64 seL4_MessageInfo_get_length(seL4_MessageInfo_t m)
{
    return m.words[0] & 0x7full;
}

static inline seL4_MessageInfo_t seL4_MessageInfo_set_label(seL4_MessageInfo_t m, seL4_Uint64 v)
{
    m.words[0] = (m.words[0] & 0xfffull) | ((v & 0xfffffffffffffull) << 12);
    return m;
}

static inline seL4_MessageInfo_t seL4_MessageInfo_set_capsUnwrapped(seL4_MessageInfo_t m,
                                                                    seL4_Uint64 v)
{
    m.words[0] = (m.words[0] & ~(0x7ull << 9)) | ((v & 0x7ull) << 9);
    return m;
}

static inline seL4_MessageInfo_t seL4_MessageInfo_set_extraCaps(seL4_MessageInfo_t m, seL4_Uint64 v)
{
    m.words[0] = (m.words[0] & ~(0x3ull << 7)) | ((v & 0x3ull) << 7);
    return m;
}

static inline seL4_MessageInfo_t seL4_MessageInfo_set_length(seL4_MessageInfo_t m, seL4_Uint64 v)
{
    m.words[0] = (m.words[0] & ~0x7full) | (v & 0x7full);
    return m;
}

/* ---- seL4_CapRights: bit 0 Write, 1 Read, 2 Grant, 3 GrantReply ---- */

typedef struct seL4_CapRights {
    seL4_Uint64 words[1];
} seL4_CapRights_t;

static inline seL4_CapRights_t seL4_CapRights_new(seL4_Uint64 capAllowGrantReply,
                                                  seL4_Uint64 capAllowGrant,
                                                  seL4_Uint64 capAllowRead,
                                                  seL4_Uint64 capAllowWrite)
{
    seL4_CapRights_t r;
    r.words[0] = ((capAllowGrantReply & 1ull) << 3) | ((capAllowGrant & 1ull) << 2) |
                 ((capAllowRead & 1ull) << 1) | (capAllowWrite & 1ull);
    return r;
}

static inline seL4_Uint64 seL4_CapRights_get_capAllowGrantReply(seL4_CapRights_t r)
{
    return (r.words[0] >> 3) & 1ull;
}

static inline seL4_Uint64 seL4_CapRights_get_capAllowGrant(seL4_CapRights_t r)
{
    return (r.words[0] >> 2) & 1ull;
}

static inline seL4_Uint64 seL4_CapRights_get_capAllowRead(seL4_CapRights_t r)
{
    return (r.words[0] >> 1) & 1ull;
}

static inline seL4_Uint64 seL4_CapRights_get_capAllowWrite(seL4_CapRights_t r)
{
    return r.words[0] & 1ull;
}

#define seL4_AllRights     seL4_CapRights_new(1, 1, 1, 1)
#define seL4_CanRead       seL4_CapRights_new(0, 0, 1, 0)
#define seL4_CanWrite      seL4_CapRights_new(0, 0, 0, 1)
#define seL4_CanGrant      seL4_CapRights_new(0, 1, 0, 0)
#define seL4_CanGrantReply seL4_CapRights_new(1, 0, 0, 0)
#define seL4_NoWrite       seL4_CapRights_new(1, 1, 1, 0)
#define seL4_NoRead        seL4_CapRights_new(1, 1, 0, 1)
#define seL4_NoRights      seL4_CapRights_new(0, 0, 0, 0)
#define seL4_ReadWrite     seL4_CapRights_new(0, 0, 1, 1)

/* ---- seL4_CNode_CapData: guard 63..6, guardSize 5..0 ---- */

typedef struct seL4_CNode_CapData {
    seL4_Uint64 words[1];
} seL4_CNode_CapData_t;

static inline seL4_CNode_CapData_t seL4_CNode_CapData_new(seL4_Uint64 guard, seL4_Uint64 guardSize)
{
    seL4_CNode_CapData_t d;
    d.words[0] = ((guard & 0x3ffffffffffffffull) << 6) | (guardSize & 0x3full);
    return d;
}

static inline seL4_Uint64 seL4_CNode_CapData_get_guard(seL4_CNode_CapData_t d)
{
    return (d.words[0] >> 6) & 0x3ffffffffffffffull;
}

static inline seL4_Uint64 seL4_CNode_CapData_get_guardSize(seL4_CNode_CapData_t d)
{
    return d.words[0] & 0x3full;
}

/* ---- The IPC buffer: 128 words, aligned to its size ---- */

typedef struct seL4_IPCBuffer_ {
    seL4_MessageInfo_t tag;
    seL4_Word msg[seL4_MsgMaxLength];
    seL4_Word userData;
    seL4_Word caps_or_badges[seL4_MsgMaxExtraCaps];
    seL4_CPtr receiveCNode;
    seL4_CPtr receiveIndex;
    seL4_Word receiveDepth;
} seL4_IPCBuffer __attribute__((__aligned__(sizeof(struct seL4_IPCBuffer_))));

_Static_assert(sizeof(seL4_IPCBuffer) == (1u << seL4_IPCBufferSizeBits), "IPC buffer is 1 KiB");

/* ---- x86_64 user context, in libsel4's field order ---- */

typedef struct seL4_UserContext_ {
    seL4_Word rip, rsp, rflags, rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14,
        r15;
    seL4_Word fs_base, gs_base;
} seL4_UserContext;

/* ---- x86 VM attributes (caching only; no effect on the model) ---- */

typedef enum {
    seL4_X86_WriteBack = 0,
    seL4_X86_WriteThrough = 1,
    seL4_X86_CacheDisabled = 2,
    seL4_X86_Uncacheable = 3,
    seL4_X86_WriteCombining = 4,
    seL4_X86_Default_VMAttributes = 0
} seL4_X86_VMAttributes;

/* ---- Layout of a cap-fault message (MR indices) ---- */

typedef enum {
    seL4_CapFault_IP,
    seL4_CapFault_Addr,
    seL4_CapFault_InRecvPhase,
    seL4_CapFault_LookupFailureType,
    seL4_CapFault_BitsLeft,
    seL4_CapFault_DepthMismatch_BitsFound,
    seL4_CapFault_GuardMismatch_GuardFound = seL4_CapFault_DepthMismatch_BitsFound,
    seL4_CapFault_GuardMismatch_BitsFound,
    seL4_CapFault_Length
} seL4_CapFault_Msg;
