/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The kernel entry: every system call comes here with the caller's "registers", takes the big
 * kernel lock, and leaves with the reply in them (§2.2, §2.3).
 *
 * A Send/NBSend/Call on a kernel object is an invocation: the invoked CPtr and the extra-cap
 * CPtrs are looked up (a failure is a cap fault, never an error), the label and message are
 * decoded by the object's decoder, which either reports an error (Call only gets to see it)
 * or performs the operation. This is also where invocations are counted and where an armed
 * injected failure replaces one.
 *
 * The syscall registers live in the caller's TCB (t->sr) while it is in the kernel: a thread
 * that blocks leaves its message there for the thread that later completes the IPC, which
 * writes the results there; the thread layer (thread.c) re-runs syscall_dispatch() when a
 * blocked thread is restarted: a new kernel entry, counted as one. A cap fault with no fault
 * handler stops the thread; its host thread then calls the fault hook before any other thread
 * runs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

struct kernel_state ks = {.lock = PTHREAD_MUTEX_INITIALIZER};
_Thread_local struct tcb *host_self;

void kernel_lock(void)
{
    pthread_mutex_lock(&ks.lock);
}

void kernel_unlock(void)
{
    pthread_mutex_unlock(&ks.lock);
}

_Noreturn void model_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("keel model: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ---- Error details (§2.1) ---------------------------------------------------------------- */

seL4_Error kerr_set(struct kerr *e, seL4_Error code)
{
    e->code = code;
    e->len = 0;
    return code;
}

static seL4_Error kerr_words(struct kerr *e, seL4_Error code, unsigned len, word_t w0, word_t w1)
{
    e->code = code;
    e->len = len;
    e->mr[0] = w0;
    e->mr[1] = w1;
    return code;
}

seL4_Error kerr_invalid_argument(struct kerr *e, word_t arg)
{
    return kerr_words(e, seL4_InvalidArgument, 1, arg, 0);
}

seL4_Error kerr_invalid_capability(struct kerr *e, word_t cap)
{
    return kerr_words(e, seL4_InvalidCapability, 1, cap, 0);
}

seL4_Error kerr_range(struct kerr *e, word_t min, word_t max)
{
    return kerr_words(e, seL4_RangeError, 2, min, max);
}

seL4_Error kerr_not_enough_memory(struct kerr *e, word_t available)
{
    return kerr_words(e, seL4_NotEnoughMemory, 1, available, 0);
}

/* The lookup-failure words starting at MR[at]; returns the total length. */
unsigned lookup_fault_words(word_t *mr, unsigned at, const struct lookup_fault *lf)
{
    mr[at] = lf->type;
    switch (lf->type) {
    case seL4_MissingCapability:
        mr[at + 1] = lf->bits_left;
        return at + 2;
    case seL4_DepthMismatch:
        mr[at + 1] = lf->bits_left;
        mr[at + 2] = lf->bits_found;
        return at + 3;
    case seL4_GuardMismatch:
        mr[at + 1] = lf->bits_left;
        mr[at + 2] = lf->guard_found;
        mr[at + 3] = lf->bits_found;
        return at + 4;
    default: /* InvalidRoot */
        return at + 1;
    }
}

seL4_Error kerr_failed_lookup(struct kerr *e, bool source, const struct lookup_fault *lf)
{
    e->code = seL4_FailedLookup;
    e->mr[0] = source ? 1 : 0;
    e->len = lookup_fault_words(e->mr, 1, lf);
    return e->code;
}

seL4_Error kerr_missing_capability(struct kerr *e, bool source, word_t bits_left)
{
    struct lookup_fault lf = {.type = seL4_MissingCapability, .bits_left = bits_left};
    return kerr_failed_lookup(e, source, &lf);
}

/* The details an injected failure carries: what the kernel's most common cause would leave. */
static void injected_error(struct kerr *e, seL4_Error code)
{
    struct lookup_fault lf = {.type = seL4_InvalidRoot};
    switch (code) {
    case seL4_InvalidArgument:
        kerr_invalid_argument(e, 0);
        break;
    case seL4_InvalidCapability:
        kerr_invalid_capability(e, 0);
        break;
    case seL4_RangeError:
        kerr_range(e, 0, 0);
        break;
    case seL4_FailedLookup:
        kerr_failed_lookup(e, false, &lf);
        break;
    case seL4_NotEnoughMemory:
        kerr_not_enough_memory(e, 0);
        break;
    default:
        kerr_set(e, code);
        break;
    }
}

/* ---- Reading the caller's message ---------------------------------------------------------- */

word_t inv_arg(const struct invocation *inv, unsigned i)
{
    return i < seL4_FastMessageRegisters ? inv->mr[i] : inv->buffer->msg[i];
}

seL4_IPCBuffer *tcb_lookup_ipc_buffer(struct tcb *t, bool is_receiver)
{
    struct cap frame = t->slots[TCB_BUFFER].cap;
    if (frame.type != KEEL_MODEL_CAP_FRAME || (frame.flags & CAPF_DEVICE)) {
        return NULL;
    }
    if (frame.rights != VM_READ_WRITE && (is_receiver || frame.rights != VM_READ_ONLY)) {
        return NULL;
    }
    return phys_ptr(frame.paddr + (t->ipc_buffer & MASK(frame.size_bits)), sizeof(seL4_IPCBuffer));
}

seL4_IPCBuffer *tcb_ipc_buffer(struct tcb *t)
{
    return tcb_lookup_ipc_buffer(t, false);
}

/* setMR for words 0..len-1: MR0..3 to registers, the rest to the buffer; no buffer keeps 4. */
unsigned set_mrs(struct tcb *t, seL4_IPCBuffer *buf, const word_t *mr, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        if (i < seL4_FastMessageRegisters) {
            t->sr.mr[i] = mr[i];
        } else if (buf != NULL) {
            buf->msg[i] = mr[i];
        } else {
            return seL4_FastMessageRegisters;
        }
    }
    return len;
}

/* Write a reply of `len` words: MR0..3 to registers, the rest to the IPC buffer if any. */
void set_reply(struct tcb *t, struct syscall_regs *r, word_t label, const word_t *mr, unsigned len)
{
    unsigned n = set_mrs(t, tcb_lookup_ipc_buffer(t, true), mr, len);
    r->info = seL4_MessageInfo_new(label, 0, 0, n).words[0];
    r->cptr_or_badge = 0;
}

/* ---- Cap faults (§2.3) ------------------------------------------------------------------- */

/* The report of a double fault, made by the faulting thread's own host thread. */
static _Thread_local keel_model_fault pending_fault;

#define LABEL_NAME(l) [l] = #l

/* libsel4's names of the invocation labels (sel4-semantics §2.9), for fault reports. */
static const char *const label_names[KEEL_MODEL_NUM_LABELS] = {
    LABEL_NAME(UntypedRetype),
    LABEL_NAME(TCBReadRegisters),
    LABEL_NAME(TCBWriteRegisters),
    LABEL_NAME(TCBCopyRegisters),
    LABEL_NAME(TCBConfigure),
    LABEL_NAME(TCBSetPriority),
    LABEL_NAME(TCBSetMCPriority),
    LABEL_NAME(TCBSetSchedParams),
    LABEL_NAME(TCBSetIPCBuffer),
    LABEL_NAME(TCBSetSpace),
    LABEL_NAME(TCBSuspend),
    LABEL_NAME(TCBResume),
    LABEL_NAME(TCBBindNotification),
    LABEL_NAME(TCBUnbindNotification),
    LABEL_NAME(TCBSetTLSBase),
    LABEL_NAME(TCBSetFlags),
    LABEL_NAME(CNodeRevoke),
    LABEL_NAME(CNodeDelete),
    LABEL_NAME(CNodeCancelBadgedSends),
    LABEL_NAME(CNodeCopy),
    LABEL_NAME(CNodeMint),
    LABEL_NAME(CNodeMove),
    LABEL_NAME(CNodeMutate),
    LABEL_NAME(CNodeRotate),
    LABEL_NAME(CNodeSaveCaller),
    LABEL_NAME(IRQIssueIRQHandler),
    LABEL_NAME(IRQAckIRQ),
    LABEL_NAME(IRQSetIRQHandler),
    LABEL_NAME(IRQClearIRQHandler),
    LABEL_NAME(DomainSetSet),
    LABEL_NAME(DomainScheduleConfigure),
    LABEL_NAME(DomainScheduleSetStart),
    LABEL_NAME(X86PDPTMap),
    LABEL_NAME(X86PDPTUnmap),
    LABEL_NAME(X86PageDirectoryMap),
    LABEL_NAME(X86PageDirectoryUnmap),
    LABEL_NAME(X86PageTableMap),
    LABEL_NAME(X86PageTableUnmap),
    LABEL_NAME(X86PageMap),
    LABEL_NAME(X86PageUnmap),
    LABEL_NAME(X86PageGetAddress),
    LABEL_NAME(X86ASIDControlMakePool),
    LABEL_NAME(X86ASIDPoolAssign),
    LABEL_NAME(X86IOPortControlIssue),
    LABEL_NAME(X86IOPortIn8),
    LABEL_NAME(X86IOPortIn16),
    LABEL_NAME(X86IOPortIn32),
    LABEL_NAME(X86IOPortOut8),
    LABEL_NAME(X86IOPortOut16),
    LABEL_NAME(X86IOPortOut32),
    LABEL_NAME(X86IRQIssueIRQHandlerIOAPIC),
    LABEL_NAME(X86IRQIssueIRQHandlerMSI),
};

/* Where a cap fault happened: the syscall, the CPtr it was made on and, for a send, its label. */
struct fault_site {
    const char *syscall;
    word_t invoked;  /* the invoked (or received-on) CPtr */
    int extra;       /* -1: `invoked` failed; otherwise the index of the extra cap that did */
    word_t cptr;     /* the CPtr that failed to resolve */
    bool in_recv;    /* the receive phase (no label) */
    word_t label;    /* send phase: the message label */
    bool ipc_target; /* send phase: the invoked cap resolved to an IPC cap (a message label) */
};

static void report_cap_fault(struct tcb *t, const struct fault_site *s,
                             const struct lookup_fault *lf)
{
    ks.counters.faults++;
    if (thread_deliver_cap_fault(t, s->cptr, s->in_recv, lf)) {
        return;
    }
    keel_model_fault *f = &pending_fault;
    memset(f, 0, sizeof(*f));
    f->syscall = s->syscall;
    f->thread = t->name;
    f->cptr = s->cptr;
    f->invoked = s->invoked;
    f->extra_cap = s->extra;
    f->in_recv_phase = s->in_recv;
    f->label = s->in_recv ? 0 : s->label;
    if (!s->in_recv && !s->ipc_target && s->label < KEEL_MODEL_NUM_LABELS) {
        f->label_name = label_names[s->label]; /* NULL for 0, InvalidInvocation */
    }
    word_t words[5];
    unsigned n = lookup_fault_words(words, 0, lf);
    for (unsigned i = 0; i < n && i < 4; i++) {
        f->lookup[i] = words[i];
    }
    static const char *const failure[] = {"no failure", "invalid root", "missing capability",
                                          "depth mismatch", "guard mismatch"};
    char call[64], what[64];
    if (s->in_recv) {
        (void)snprintf(call, sizeof(call), "%s", s->syscall);
    } else if (f->label_name != NULL) {
        (void)snprintf(call, sizeof(call), "%s (%s)", s->syscall, f->label_name);
    } else {
        (void)snprintf(call, sizeof(call), "%s (%slabel %llu)", s->syscall,
                       s->ipc_target ? "message " : "", (unsigned long long)s->label);
    }
    if (s->extra < 0) {
        (void)snprintf(what, sizeof(what), "the %s CPtr", s->in_recv ? "received-on" : "invoked");
    } else {
        (void)snprintf(what, sizeof(what), "extra cap %d (CPtr %#llx)", s->extra,
                       (unsigned long long)s->cptr);
    }
    (void)snprintf(f->message, sizeof(f->message),
                   "cap fault in thread '%s': %s on CPtr %#llx: %s failed to resolve (%s, bits "
                   "left %llu)%s; the thread has no usable fault handler (fault endpoint CPtr "
                   "%#llx) and stops",
                   t->name, call, (unsigned long long)s->invoked, what,
                   failure[lf->type < 5 ? lf->type : 0], (unsigned long long)lf->bits_left,
                   s->in_recv ? " in the receive phase" : "", (unsigned long long)t->fault_ep);
    /* handleDoubleFault: the thread stops. Its host thread calls the hook before anyone else
     * runs (thread_run_syscall). */
    t->fault_stopped = true;
    set_thread_state(t, TS_INACTIVE);
}

void cap_fault(struct tcb *t, const char *syscall, word_t cptr, bool in_recv,
               const struct lookup_fault *lf)
{
    struct fault_site s = {
        .syscall = syscall, .invoked = cptr, .extra = -1, .cptr = cptr, .in_recv = in_recv};
    report_cap_fault(t, &s, lf);
}

static void default_fault_hook(const keel_model_fault *fault, void *ctx)
{
    (void)ctx;
    model_panic("%s", fault->message);
}

void keel_model_set_fault_hook(keel_model_fault_hook hook, void *ctx)
{
    kernel_lock();
    ks.fault_hook = hook;
    ks.fault_ctx = ctx;
    kernel_unlock();
}

void fault_report(struct tcb *t)
{
    keel_model_fault_hook hook = ks.fault_hook != NULL ? ks.fault_hook : default_fault_hook;
    void *ctx = ks.fault_ctx;
    kernel_unlock();
    hook(&pending_fault, ctx);
    kernel_lock();
    thread_stopped_by_fault(t);
}

/* ---- Invocations ----------------------------------------------------------------------------- */

/* Caps whose invocation is IPC (§8) rather than a kernel-object invocation (which an empty
 * slot also is: it fails with InvalidCapability). */
static bool is_ipc_cap(struct cap c)
{
    return c.type == KEEL_MODEL_CAP_ENDPOINT || c.type == KEEL_MODEL_CAP_NOTIFICATION ||
           c.type == KEEL_MODEL_CAP_REPLY;
}

static seL4_Error decode_invocation(struct invocation *inv, struct kerr *e)
{
    switch ((keel_model_cap_type)inv->cap.type) {
    case KEEL_MODEL_CAP_UNTYPED:
        return decode_untyped_invocation(inv, e);
    case KEEL_MODEL_CAP_CNODE:
        return decode_cnode_invocation(inv, e);
    case KEEL_MODEL_CAP_TCB:
        return decode_tcb_invocation(inv, e);
    case KEEL_MODEL_CAP_FRAME:
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
    case KEEL_MODEL_CAP_PML4:
    case KEEL_MODEL_CAP_ASID_CONTROL:
    case KEEL_MODEL_CAP_ASID_POOL:
        return decode_x86_mmu_invocation(inv, e);
    case KEEL_MODEL_CAP_DOMAIN:
    case KEEL_MODEL_CAP_IRQ_CONTROL:
    case KEEL_MODEL_CAP_IRQ_HANDLER:
    case KEEL_MODEL_CAP_IO_PORT_CONTROL:
    case KEEL_MODEL_CAP_IO_PORT:
        model_panic("thread '%s' invoked a %s cap (label %llu): IRQ, domain and IO port "
                    "invocations are outside the model (docs/model.md)",
                    inv->thread->name, keel_model_cap_type_name(inv->cap.type),
                    (unsigned long long)inv->label);
    default: /* null, zombie */
        return kerr_invalid_capability(e, 0);
    }
}

static const char *syscall_name(seL4_Syscall_ID sys)
{
    static const char *const names[] = {"seL4_Call", "seL4_ReplyRecv", "seL4_Send",  "seL4_NBSend",
                                        "seL4_Recv", "seL4_Reply",     "seL4_Yield", "seL4_NBRecv"};
    return names[-sys - 1];
}

static void handle_invocation(struct tcb *t, struct syscall_regs *r, seL4_Syscall_ID sys)
{
    struct invocation inv = {0};
    seL4_MessageInfo_t info = {{r->info}};
    inv.thread = t;
    inv.cptr = r->cptr_or_badge;
    inv.label = seL4_MessageInfo_get_label(info);
    inv.length = seL4_MessageInfo_get_length(info);
    if (inv.length > seL4_MsgMaxLength) {
        inv.length = seL4_MsgMaxLength;
    }
    memcpy(inv.mr, r->mr, sizeof(inv.mr));
    inv.is_call = sys == seL4_SysCall;
    inv.is_blocking = sys != seL4_SysNBSend;
    inv.buffer = tcb_lookup_ipc_buffer(t, false);
    if (inv.buffer == NULL && inv.length > seL4_FastMessageRegisters) {
        inv.length = seL4_FastMessageRegisters;
    }

    struct lookup_fault lf;
    struct fault_site site = {.syscall = syscall_name(sys),
                              .invoked = inv.cptr,
                              .extra = -1,
                              .cptr = inv.cptr,
                              .label = inv.label};
    if (!lookup_slot(t, inv.cptr, &inv.slot, &lf)) {
        if (inv.is_blocking) {
            report_cap_fault(t, &site, &lf);
        }
        return;
    }
    inv.cap = inv.slot->cap;
    if (inv.buffer != NULL) {
        unsigned n = (unsigned)seL4_MessageInfo_get_extraCaps(info);
        for (unsigned i = 0; i < n; i++) {
            word_t cptr = inv.buffer->caps_or_badges[i];
            if (!lookup_slot(t, cptr, &inv.extra_slot[i], &lf)) {
                if (inv.is_blocking) {
                    site.extra = (int)i;
                    site.cptr = cptr;
                    site.ipc_target = is_ipc_cap(inv.cap);
                    report_cap_fault(t, &site, &lf);
                }
                return;
            }
            inv.extra_cap[i] = inv.extra_slot[i]->cap;
        }
        inv.num_extra = n;
    }

    struct kerr e = {0};
    seL4_Error err;
    if (is_ipc_cap(inv.cap)) {
        err = ipc_invoke(&inv, &e);
    } else {
        ks.counters.invocations++;
        if (inv.label < KEEL_MODEL_NUM_LABELS) {
            ks.counters.by_label[inv.label]++;
        }
        if (ks.inject.armed && !ks.inject.fired &&
            (ks.inject.label == KEEL_MODEL_ANY_LABEL || (word_t)ks.inject.label == inv.label) &&
            --ks.inject.remaining == 0) {
            ks.inject.fired = true;
            injected_error(&e, ks.inject.error);
            err = e.code;
        } else {
            err = decode_invocation(&inv, &e);
        }
    }
    if (err != seL4_NoError) {
        ks.counters.errors++;
        if (inv.is_call) {
            set_reply(t, r, err, e.mr, e.len);
        }
        return;
    }
    /* The kernel replies only if the caller is still runnable: not if the invocation blocked
     * it (a Call on an endpoint), stopped it (Suspend of itself) or destroyed it. */
    if (inv.is_call && t->state == TS_RUNNING) {
        if (inv.reply_len > 0) {
            set_reply(t, r, 0, inv.reply, inv.reply_len);
        } else {
            r->info = 0;
            r->cptr_or_badge = 0;
        }
    }
}

void kernel_syscall(seL4_Syscall_ID sys, struct syscall_regs *r)
{
    struct tcb *t = host_self;
    if (t == NULL) {
        model_panic("%s from a host thread that is not an seL4 thread of a booted world "
                    "(call keel_model_boot() or sel4runtime_bootinfo() first)",
                    sys >= seL4_SysNBRecv && sys <= seL4_SysCall ? syscall_name(sys) : "a syscall");
    }
    if (sys < seL4_SysNBRecv || sys > seL4_SysCall) {
        model_panic("unknown syscall %d", (int)sys);
    }
    kernel_enter(t);
    t->sr = *r;
    t->sysno = sys;
    thread_run_syscall(t);
    /* The thread is current again, with its results in its registers. */
    *r = t->sr;
    kernel_exit(t);
}

/*
 * One kernel entry for t's syscall: the first time (kernel_syscall), and again each time the
 * thread re-executes it after a restart (thread.c), which on the kernel is a new entry through
 * the syscall instruction at the restart PC, counted and checked for the fastpath like any.
 */
void syscall_dispatch(struct tcb *t)
{
    struct syscall_regs *r = &t->sr;
    seL4_Syscall_ID sys = t->sysno;
    if (sys >= seL4_SysNBRecv && sys <= seL4_SysCall) {
        ks.counters.syscalls[-sys - 1]++;
        if ((sys == seL4_SysCall || sys == seL4_SysReplyRecv) && fastpath_would_take(t, sys)) {
            ks.counters.fastpath++;
        }
    }
    switch (t->sysno) {
    case seL4_SysCall:
    case seL4_SysSend:
    case seL4_SysNBSend:
        handle_invocation(t, r, t->sysno);
        break;
    case seL4_SysRecv:
    case seL4_SysNBRecv:
        handle_recv(t, r, t->sysno == seL4_SysRecv);
        break;
    case seL4_SysReply:
        ipc_reply(t);
        break;
    case seL4_SysReplyRecv:
        ipc_reply(t);
        handle_recv(t, r, true);
        break;
    case seL4_SysYield:
        thread_yield(t);
        break;
    default:
        kernel_unlock();
        model_panic("thread '%s' re-executes unknown syscall %d (its registers were rewritten)",
                    t->name, (int)t->sysno);
    }
}

void handle_recv(struct tcb *t, struct syscall_regs *r, bool blocking)
{
    word_t cptr = r->cptr_or_badge;
    struct cte *slot;
    struct lookup_fault lf;
    if (!lookup_slot(t, cptr, &slot, &lf)) {
        cap_fault(t, syscall_name(t->sysno), cptr, true, &lf);
        return;
    }
    ipc_recv(t, slot, slot->cap, r, blocking);
}

/* ---- Counters and injection -------------------------------------------------------------- */

void keel_model_counters_get(keel_model_counters *out)
{
    kernel_lock();
    *out = ks.counters;
    kernel_unlock();
}

void keel_model_counters_reset(void)
{
    kernel_lock();
    memset(&ks.counters, 0, sizeof(ks.counters));
    kernel_unlock();
}

uint64_t keel_model_invocations(void)
{
    kernel_lock();
    uint64_t n = ks.counters.invocations;
    kernel_unlock();
    return n;
}

void keel_model_inject_fail(uint64_t nth, long label, seL4_Error error)
{
    kernel_lock();
    ks.inject.armed = nth > 0;
    ks.inject.fired = false;
    ks.inject.remaining = nth;
    ks.inject.label = label;
    ks.inject.error = error;
    kernel_unlock();
}

void keel_model_inject_clear(void)
{
    kernel_lock();
    memset(&ks.inject, 0, sizeof(ks.inject));
    kernel_unlock();
}

bool keel_model_inject_fired(void)
{
    kernel_lock();
    bool fired = ks.inject.fired;
    kernel_unlock();
    return fired;
}
