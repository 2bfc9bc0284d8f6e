/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The non-MCS system calls (sel4-semantics §2.8, §8). On the model these enter the model
 * kernel; MR0..MR3 travel as "registers" exactly as the x86_64 libsel4 wrappers move them, and
 * the rest through the thread's IPC buffer.
 */
#pragma once

#include <sel4/simple_types.h>
#include <sel4/shared_types.h>

typedef enum {
    seL4_SysCall = -1,
    seL4_SysReplyRecv = -2,
    seL4_SysSend = -3,
    seL4_SysNBSend = -4,
    seL4_SysRecv = -5,
    seL4_SysReply = -6,
    seL4_SysYield = -7,
    seL4_SysNBRecv = -8
} seL4_Syscall_ID;

void seL4_Send(seL4_CPtr dest, seL4_MessageInfo_t msgInfo);
void seL4_SendWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *mr0, seL4_Word *mr1,
                      seL4_Word *mr2, seL4_Word *mr3);
void seL4_NBSend(seL4_CPtr dest, seL4_MessageInfo_t msgInfo);
void seL4_NBSendWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *mr0, seL4_Word *mr1,
                        seL4_Word *mr2, seL4_Word *mr3);
void seL4_Reply(seL4_MessageInfo_t msgInfo);
void seL4_ReplyWithMRs(seL4_MessageInfo_t msgInfo, seL4_Word *mr0, seL4_Word *mr1, seL4_Word *mr2,
                       seL4_Word *mr3);
void seL4_Signal(seL4_CPtr dest);
seL4_MessageInfo_t seL4_Recv(seL4_CPtr src, seL4_Word *sender);
seL4_MessageInfo_t seL4_RecvWithMRs(seL4_CPtr src, seL4_Word *sender, seL4_Word *mr0,
                                    seL4_Word *mr1, seL4_Word *mr2, seL4_Word *mr3);
seL4_MessageInfo_t seL4_NBRecv(seL4_CPtr src, seL4_Word *sender);
seL4_MessageInfo_t seL4_Call(seL4_CPtr dest, seL4_MessageInfo_t msgInfo);
seL4_MessageInfo_t seL4_CallWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *mr0,
                                    seL4_Word *mr1, seL4_Word *mr2, seL4_Word *mr3);
seL4_MessageInfo_t seL4_ReplyRecv(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *sender);
seL4_MessageInfo_t seL4_ReplyRecvWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo,
                                         seL4_Word *sender, seL4_Word *mr0, seL4_Word *mr1,
                                         seL4_Word *mr2, seL4_Word *mr3);
void seL4_Yield(void);
/* Non-MCS: Wait is Recv on a notification and Poll is NBRecv. */
void seL4_Wait(seL4_CPtr src, seL4_Word *sender);
seL4_MessageInfo_t seL4_Poll(seL4_CPtr src, seL4_Word *sender);

/* Debug-build syscall: name a thread (the model uses the name in its reports). */
void seL4_DebugNameThread(seL4_CPtr tcb, const char *name);
