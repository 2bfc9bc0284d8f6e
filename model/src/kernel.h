/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The model kernel's internal interface, shared by every file in model/src.
 *
 * The model mirrors seL4 module for module (docs/model.md): a cap is a small value type; a slot
 * (cte) holds a cap and its place in the derivation list; kernel objects that carry state
 * (CNodes, TCBs, endpoints, notifications, paging structures, ASID pools) are host records
 * that caps point to, while untypeds and frames are nothing but physical memory. Every
 * invocation is decoded (all checks, in the kernel's order, no side effects) and then
 * performed (cannot fail), under one big kernel lock.
 *
 * The thread layer (docs/model-threads.md) runs each seL4 thread on a host thread of its own
 * and lets one run at a time: thread.c (host threads, kernel entry), sched.c (the scheduler),
 * endpoint.c, transfer.c, notification.c, fault.c (IPC), tcb.c (TCB invocations), paging.c and
 * vspace.c (x86_64 paging and the root VSpace's host mappings).
 *
 * References of the form §n are to sel4-semantics.md, the specification the model follows.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>
#include <keel/model.h>

typedef uint64_t word_t;
typedef uint64_t paddr_t;

#define BIT(n)  (1ull << (n))
#define MASK(n) ((n) >= 64 ? ~0ull : BIT(n) - 1)

/* Where the kernel's window on physical memory starts: objects are aligned in this space. */
#define KERNEL_PPTR_BASE 0xffffff8000000000ull
#define USER_TOP         0x7fffffffffffull
#define PADDR_TOP        BIT(47)

/* ---- Caps ---------------------------------------------------------------------------------- */

enum cap_flag {
    CAPF_DEVICE = 1, /* untyped or frame over device memory */
    CAPF_MAPPED = 2, /* frame or paging structure installed in a VSpace */
    CAPF_MASTER = 4, /* non-MCS master reply cap */
};

/* The CDT bits of a slot; they travel with the cap when it moves (§4.5). */
enum mdb_flag {
    MDB_REVOCABLE = 1,    /* "original" */
    MDB_FIRST_BADGED = 2, /* a badged EP/notification original heading its badge's run */
};

enum vm_rights { VM_KERNEL_ONLY = 1, VM_READ_ONLY = 2, VM_READ_WRITE = 3 };

/* Rights bits of endpoint, notification and reply caps (seL4_CapRights_t, §2.5). */
enum cap_right { RIGHT_WRITE = 1, RIGHT_READ = 2, RIGHT_GRANT = 4, RIGHT_GRANT_REPLY = 8 };

struct kobj;

struct cap {
    uint8_t type;       /* keel_model_cap_type */
    uint8_t rights;     /* EP/notification/reply: seL4_CapRights_t bits; frame: vm_rights */
    uint8_t size_bits;  /* untyped block, frame size, CNode radix */
    uint8_t flags;      /* cap_flag */
    uint8_t guard_size; /* CNode */
    uint8_t mdb;        /* mdb_flag */
    uint16_t asid;      /* mapped frame/table, PML4 */
    union {
        paddr_t paddr;    /* untyped, frame: the memory itself */
        struct kobj *obj; /* every other cap with an object */
    };
    word_t word; /* badge (EP/ntfn), guard (CNode), freeIndex (untyped), vaddr (mapped) */
};

_Static_assert(sizeof(struct cap) == 24, "caps stay small: the model holds millions");

/* A slot: a cap and its links in the derivation list (a pre-order walk of the CDT). */
struct cte {
    struct cap cap;
    struct cte *prev;
    struct cte *next;
};

static inline struct cap cap_null(void)
{
    struct cap c = {0};
    return c;
}

static inline bool cap_is_null(struct cap c)
{
    return c.type == KEEL_MODEL_CAP_NULL;
}

/* ---- Kernel objects with state --------------------------------------------------------------- */

struct kobj {
    struct kobj *next, *prev; /* registry of live objects of this seL4 type */
    paddr_t paddr;
    uint8_t type;      /* seL4 object type */
    uint8_t size_bits; /* of the object's memory */
    bool dying;        /* its final cap is being deleted */
};

struct cnode {
    struct kobj hdr;
    unsigned radix;
    struct cte slots[];
};

enum tcb_slot { TCB_CTABLE, TCB_VTABLE, TCB_REPLY, TCB_CALLER, TCB_BUFFER, TCB_NUM_SLOTS };

enum thread_state {
    TS_INACTIVE,
    TS_RUNNING,
    TS_RESTART,
    TS_BLOCKED_ON_RECEIVE,
    TS_BLOCKED_ON_SEND,
    TS_BLOCKED_ON_REPLY,
    TS_BLOCKED_ON_NOTIFICATION,
};

/* Where a capability lookup failed (the kernel's lookup_fault). */
struct lookup_fault {
    word_t type; /* seL4_LookupFailureType */
    word_t bits_left;
    word_t bits_found; /* depth mismatch: bitsFound; guard mismatch: guard size */
    word_t guard_found;
};

/* The registers a syscall passes and returns (x86_64: RDI, RSI, R10, R8, R9, R15). */
struct syscall_regs {
    word_t cptr_or_badge;
    word_t info;
    word_t mr[seL4_FastMessageRegisters];
};

/* A thread's pending fault (tcbFault and tcbLookupFailure); the model raises only cap faults. */
struct thread_fault {
    word_t type; /* seL4_Fault_tag: seL4_Fault_NullFault when none */
    word_t addr;
    bool in_recv;
    struct lookup_fault lf;
};

struct endpoint;
struct notification;
struct host_thread;

struct tcb {
    struct kobj hdr;
    struct cte slots[TCB_NUM_SLOTS];
    enum thread_state state;
    /* What a blocked thread is blocked on and with which rights (§8.1). */
    struct kobj *blocked_on;
    word_t blocked_badge;
    bool blocked_grant, blocked_grant_reply, blocked_is_call;
    bool queued;        /* in its priority's ready queue (tcbQueued) */
    bool fault_stopped; /* stopped by a double fault whose hook has not returned yet */
    /* Suspended while Running (its syscall done): a Restart continues after the syscall,
     * as the kernel's updateRestartPC makes it, instead of re-executing it. */
    bool restart_after_syscall;
    struct tcb *q_next, *q_prev;     /* endpoint or notification queue */
    struct tcb *run_next, *run_prev; /* ready queue */
    uint8_t priority, mcp;
    word_t fault_ep;   /* a CPtr, looked up at fault time (non-MCS) */
    word_t ipc_buffer; /* the buffer's user address, 0 for none */
    struct notification *bound;
    /*
     * The register file. The six syscall registers live in `sr` (rdi, rsi, r10, r8, r9, r15 of
     * `regs` are not used): the kernel reads a blocked thread's message from there and writes
     * its results there, and Read/WriteRegisters see them in their x86_64 places.
     */
    seL4_UserContext regs;
    struct syscall_regs sr;
    seL4_Syscall_ID sysno; /* the syscall a Restart re-executes */
    struct thread_fault fault;
    struct host_thread *host; /* the host thread behind this seL4 thread, once it has run */
    char name[32];
};

enum ep_state { EP_IDLE, EP_SEND, EP_RECV };

struct endpoint {
    struct kobj hdr;
    enum ep_state state;
    struct tcb *head, *tail;
};

enum ntfn_state { NTFN_IDLE, NTFN_WAITING, NTFN_ACTIVE };

struct notification {
    struct kobj hdr;
    enum ntfn_state state;
    word_t word;
    struct tcb *head, *tail;
    struct tcb *bound;
};

/* A paging structure of any level: present entries point to the next level or to a frame. */
enum { PT_ENTRIES = 512 };

struct pte {
    uint8_t kind; /* PTE_NONE, PTE_TABLE, PTE_FRAME */
    uint8_t rights;
    uint8_t size_bits;
    bool host;          /* frame mapped in the root VSpace: also mapped in the host at its vaddr */
    paddr_t paddr;      /* frame */
    struct kobj *table; /* next level */
};

enum { PTE_NONE, PTE_TABLE, PTE_FRAME };

struct paging {
    struct kobj hdr;
    uint8_t level; /* 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT */
    struct pte entries[PT_ENTRIES];
};

struct asid_pool {
    struct kobj hdr;
    word_t base; /* first ASID of the pool */
    struct paging *vspaces[PT_ENTRIES];
};

/* ---- Errors an invocation reports (§2.1) ----------------------------------------------------- */

struct kerr {
    seL4_Error code;
    unsigned len;
    word_t mr[6];
};

seL4_Error kerr_set(struct kerr *e, seL4_Error code);
seL4_Error kerr_invalid_argument(struct kerr *e, word_t arg);
seL4_Error kerr_invalid_capability(struct kerr *e, word_t cap);
seL4_Error kerr_range(struct kerr *e, word_t min, word_t max);
seL4_Error kerr_not_enough_memory(struct kerr *e, word_t available);
seL4_Error kerr_failed_lookup(struct kerr *e, bool source, const struct lookup_fault *lf);
seL4_Error kerr_missing_capability(struct kerr *e, bool source, word_t bits_left);

/* ---- The state of a world -------------------------------------------------------------------- */

struct phys;

/* Kinds of registered object: the seL4 object types, plus ASID pools (made by MakePool). */
#define OBJ_ASID_POOL seL4_ObjectTypeCount
#define NUM_OBJ_KINDS (seL4_ObjectTypeCount + 1)

struct kernel_state {
    pthread_mutex_t lock; /* first: shutdown clears everything after it */
    bool booted;
    seL4_BootInfo *bootinfo;
    struct tcb *root_tcb;
    struct kobj *objects[NUM_OBJ_KINDS]; /* registries of live stateful objects */
    size_t cap_count[KEEL_MODEL_CAP_TYPE_COUNT];
    size_t obj_count[NUM_OBJ_KINDS];
    keel_model_counters counters;
    struct {
        bool armed, fired;
        uint64_t remaining;
        long label;
        seL4_Error error;
    } inject;
    keel_model_fault_hook fault_hook;
    void *fault_ctx;
    struct asid_pool *asid_table[BIT(seL4_NumASIDPoolsBits)];
    struct paging *root_vspace; /* the root task's PML4: its frames are host-mapped (§10) */
    size_t host_mappings;       /* entries with pte.host set */
    /* The scheduler (sched.c). `current` is the CPU baton: the only seL4 thread whose host
     * thread may run user code; NULL only when nothing can run (a deadlock in the model). */
    struct tcb *current;
    struct {
        struct tcb *head, *tail;
    } ready[seL4_NumPriorities];
    uint64_t ready_bitmap[seL4_NumPriorities / 64];
    enum { SCHED_RESUME_CURRENT, SCHED_CHOOSE_NEW, SCHED_SWITCH_TO } action;
    struct tcb *candidate; /* with SCHED_SWITCH_TO */
    /* Host threads (thread.c). */
    struct host_thread *hosts; /* every host thread record of this world */
    size_t thread_stack_bytes;
    int pinned_cpu; /* keel_model_config.pin_host_cpu: the host CPU, else -1 */
};

extern struct kernel_state ks;

/* The seL4 thread this host thread embodies (NULL for host threads outside the world). */
extern _Thread_local struct tcb *host_self;

void kernel_lock(void);
void kernel_unlock(void);

/* Abort with a message: a broken model invariant or a misuse of the model itself. */
_Noreturn void model_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- Physical memory (memory.c) ----------------------------------------------------------------
 */

int phys_init(const keel_model_region *regions, size_t num_regions);
void phys_fini(void);
bool phys_is_ram(paddr_t p, word_t len);
void *phys_ptr(paddr_t p, word_t len);
void phys_zero(paddr_t p, word_t len);
bool phys_is_zero(paddr_t p, word_t len);

static inline word_t kaddr_of(paddr_t p)
{
    return p + KERNEL_PPTR_BASE;
}

/* ---- Caps as values (cap.c) -------------------------------------------------------------------
 */

/* log2 of the size of an object of `type` created with `size_bits`; the type must be valid. */
unsigned object_size_bits(word_t type, word_t size_bits);
/* The cap type a new object of `type` gets. */
keel_model_cap_type cap_type_of_object(word_t type);
/* The seL4 object type of a cap's object, or -1 for caps without one. */
int cap_object_type(struct cap c);
bool cap_is_frame_type(word_t type);
/* Physical base and size of a cap's memory; false for caps without memory. */
bool cap_region(struct cap c, paddr_t *base, unsigned *size_bits);
bool same_region_as(struct cap a, struct cap b);
bool same_object_as(struct cap a, struct cap b);
struct cap mask_cap_rights(seL4_CapRights_t mask, struct cap c);
struct cap update_cap_data(bool preserve, word_t data, struct cap c);
bool is_cap_revocable(struct cap derived, struct cap src);
/* deriveCap (§4.3): the derived cap, or an error (RevokeFirst / IllegalOperation). */
seL4_Error derive_cap(const struct cte *slot, struct cap c, struct cap *out);
/* Whether replacing this cap would need a long-running delete (slotCapLongRunningDelete). */
bool cap_long_running_delete(const struct cte *slot);

/* ---- The derivation list (cdt.c) ---------------------------------------------------------------
 */

void cte_set(struct cte *slot, struct cap c); /* write a cap into a slot, keeping the counts */
bool mdb_is_parent_of(const struct cte *a, const struct cte *b);
bool cte_has_children(const struct cte *slot);
bool cte_is_final(const struct cte *slot);
void cte_insert(struct cap new_cap, struct cte *src, struct cte *dest);
void cte_insert_new(struct cte *parent, struct cte *slot, struct cap new_cap);
void cte_insert_root(struct cte *slot, struct cap new_cap);
void cte_move(struct cap new_cap, struct cte *src, struct cte *dest);
void cte_swap(struct cap c1, struct cte *s1, struct cap c2, struct cte *s2);
void cte_empty(struct cte *slot);

/* ---- Objects, deletion and revocation (object.c) -----------------------------------------------
 */

/* Create one object at physical address p and return its cap (mdb bits clear). */
struct cap object_create(word_t type, paddr_t p, word_t size_bits, bool device);
void obj_register(struct kobj *o, word_t type, paddr_t p, unsigned size_bits);
void obj_destroy(struct kobj *o);
void *kzalloc(size_t size);
void kfree(void *p, size_t size);
size_t object_record_size(word_t type, word_t size_bits);
/* Delete the cap in a slot (§4.6), finalising its object if it is the last cap. */
void cte_delete(struct cte *slot);
/* Delete every CDT descendant of the slot, newest first (§4.6). */
void cte_revoke(struct cte *slot);
/* Hooks part 2 fills: what finalising a TCB/endpoint/notification/paging cap does. */
void finalise_tcb(struct tcb *t);
void finalise_endpoint(struct endpoint *ep);
void finalise_notification(struct notification *n);
void finalise_frame(struct cap *c);
void finalise_paging(struct cap *c);
void finalise_asid_pool(struct asid_pool *pool);
void finalise_pml4(struct cap *c);

/* ---- VSpaces (vspace.c) ---------------------------------------------------------------------- */

/* Index into a table of `level` (4 = PML4 ... 1 = PT) for vaddr, and what one entry covers. */
static inline unsigned vspace_index(word_t vaddr, unsigned level)
{
    return (unsigned)((vaddr >> (seL4_PageBits + 9 * (level - 1))) & (PT_ENTRIES - 1));
}

static inline unsigned vspace_entry_bits(unsigned level)
{
    return seL4_PageBits + 9 * (level - 1);
}

/* A valid VSpace root (isValidVTableRoot): a PML4 cap that has an ASID. */
static inline bool is_valid_vtable_root(struct cap c)
{
    return c.type == KEEL_MODEL_CAP_PML4 && c.asid != 0;
}

struct paging *vspace_of_asid(word_t asid);
struct pte *vspace_entry(word_t asid, word_t vaddr, unsigned level);

/* ---- CSpace addressing (cspace.c) --------------------------------------------------------------
 */

/* §3.1: resolve `n` bits of `cptr` from `root`. */
bool resolve_address_bits(struct cap root, word_t cptr, unsigned n, struct cte **slot,
                          unsigned *bits_remaining, struct lookup_fault *lf);
/* A full-depth lookup in a thread's CSpace (invoked cap, extra caps, Recv source, ...). */
bool lookup_slot(struct tcb *t, word_t cptr, struct cte **slot, struct lookup_fault *lf);
/* §3.2 lookupSlotForCNodeOp: a slot addressed by (root, index, depth). */
seL4_Error lookup_slot_for_cnode_op(bool is_source, struct cap root, word_t index, word_t depth,
                                    struct cte **slot, struct kerr *e);

/* ---- Invocations (syscall.c and one decoder per object type) ----------------------------------
 */

struct invocation {
    struct tcb *thread;
    word_t cptr;
    struct cte *slot; /* the invoked cap's slot */
    struct cap cap;   /* ... and the cap */
    word_t label;
    word_t length; /* message words available to the decoder */
    word_t mr[seL4_FastMessageRegisters];
    seL4_IPCBuffer *buffer; /* the kernel's view of the caller's IPC buffer, or NULL */
    unsigned num_extra;
    struct cte *extra_slot[seL4_MsgMaxExtraCaps];
    struct cap extra_cap[seL4_MsgMaxExtraCaps];
    bool is_call, is_blocking;
    /* Reply words of a successful invocation that returns data (e.g. GetAddress). */
    unsigned reply_len;
    word_t reply[seL4_MsgMaxLength];
};

/* Message word i of the invocation (MR0..3 from registers, the rest from the IPC buffer). */
word_t inv_arg(const struct invocation *inv, unsigned i);

seL4_Error decode_untyped_invocation(struct invocation *inv, struct kerr *e);
seL4_Error decode_cnode_invocation(struct invocation *inv, struct kerr *e);
seL4_Error decode_tcb_invocation(struct invocation *inv, struct kerr *e);
seL4_Error decode_x86_mmu_invocation(struct invocation *inv, struct kerr *e);

/* The kernel's view of a thread's IPC buffer (a host pointer into physical memory), or NULL. */
seL4_IPCBuffer *tcb_ipc_buffer(struct tcb *t);

/* ---- System calls (syscall.c) ------------------------------------------------------------------
 */

/* Enter the kernel from libsel4.c: the calling host thread must be the current seL4 thread. */
void kernel_syscall(seL4_Syscall_ID sys, struct syscall_regs *r);
/* Run t's syscall (t->sysno with t->sr) once; the thread layer calls it, again on a Restart. */
void syscall_dispatch(struct tcb *t);
/* Free the records of objects destroyed during this kernel entry (object.c). */
void kernel_reap(void);
/* Write a kernel reply of `len` words (MR0..3 into registers, the rest into the buffer). */
void set_reply(struct tcb *t, struct syscall_regs *r, word_t label, const word_t *mr, unsigned len);
/* Write message words into t's registers and IPC buffer `buf` (setMR); returns the count kept. */
unsigned set_mrs(struct tcb *t, seL4_IPCBuffer *buf, const word_t *mr, unsigned len);
/* The lookup-failure words at mr[at..]; returns the total length (setMRs_lookup_failure). */
unsigned lookup_fault_words(word_t *mr, unsigned at, const struct lookup_fault *lf);
/* The IPC buffer the kernel would use for t (as a receiver it must be writable), or NULL. */
seL4_IPCBuffer *tcb_lookup_ipc_buffer(struct tcb *t, bool is_receiver);
void handle_recv(struct tcb *t, struct syscall_regs *r, bool blocking);
/* Take a cap fault on t (lookup failure of `cptr`): deliver it or stop t (§2.3). */
void cap_fault(struct tcb *t, const char *syscall, word_t cptr, bool in_recv,
               const struct lookup_fault *lf);
/* Call the fault hook for t's double fault (unlocks around it); returns if the hook returns. */
void fault_report(struct tcb *t);

/* ---- The scheduler (sched.c, §11.1) ------------------------------------------------------------
 */

bool thread_is_runnable(const struct tcb *t); /* Running or Restart */
bool thread_is_stopped(const struct tcb *t);  /* Inactive or blocked (isStopped) */
void set_thread_state(struct tcb *t, enum thread_state s);
void schedule_tcb(struct tcb *t);
void sched_enqueue(struct tcb *t); /* head of its priority's queue */
void sched_append(struct tcb *t);  /* tail */
void sched_dequeue(struct tcb *t);
void reschedule_required(void);
/* An object's wait queue goes away: each thread on it restarts (head of its ready queue), in
 * queue order, and a reschedule follows (cancelAllIPC, cancelAllSignals). */
void restart_queue(struct tcb *head);
void possible_switch_to(struct tcb *t);
/* Decide who runs when this kernel entry ends (may set ks.current to NULL: nobody can). */
void schedule(void);
void thread_suspend(struct tcb *t);
void thread_restart(struct tcb *t);
void thread_set_priority(struct tcb *t, word_t prio);
void thread_yield(struct tcb *t);
bool is_highest_prio(word_t prio);

/* ---- Host threads (thread.c) -------------------------------------------------------------------
 */

/* Start of a world / end of a world for the thread layer. shutdown runs without the lock. */
void threads_boot(struct tcb *root, bool pin_host_cpu);
void threads_shutdown(void);
/* Enter the kernel as thread t (takes the lock) and leave it. */
void kernel_enter(struct tcb *t);
void kernel_exit(struct tcb *t);
/* Run t's syscall to completion: dispatch, schedule, hand the CPU over, re-execute on Restart. */
void thread_run_syscall(struct tcb *t);
/* After a double fault's hook returned: the root thread cannot go on; others stay stopped. */
void thread_stopped_by_fault(struct tcb *t);
/* t's TCB is being destroyed: its host thread must leave. */
void thread_tcb_destroyed(struct tcb *t);
/* "inactive", "blocked on send", ...: a thread state as messages name it. */
const char *thread_state_name(enum thread_state s);
/* t's rip was rewritten: a started host thread starts afresh at rip when it next runs. */
void thread_redirect(struct tcb *t);

/* ---- IPC (endpoint.c, notification.c, fault.c, §8) ---------------------------------------------
 */

/* Send/NBSend/Call on an endpoint, notification or reply cap (decode and perform). */
seL4_Error ipc_invoke(struct invocation *inv, struct kerr *e);
/* Recv/NBRecv on a looked-up slot; faults as the kernel does on a wrong cap. */
void ipc_recv(struct tcb *t, struct cte *slot, struct cap cap, struct syscall_regs *r,
              bool blocking);
/* The Reply syscall (and the first half of ReplyRecv). */
void ipc_reply(struct tcb *t);
void send_ipc(bool blocking, bool call, word_t badge, bool grant, bool grant_reply, struct tcb *t,
              struct endpoint *ep);
void do_ipc_transfer(struct tcb *sender, struct endpoint *ep, word_t badge, bool grant,
                     struct tcb *receiver);
void cancel_ipc(struct tcb *t);
void setup_reply_master(struct tcb *t);
void endpoint_cancel_badged_sends(struct endpoint *ep, word_t badge);
/* FIFO thread queues of endpoints and notifications. */
void tcb_queue_append(struct tcb **head, struct tcb **tail, struct tcb *t);
void tcb_queue_remove(struct tcb **head, struct tcb **tail, struct tcb *t);
void tcb_save_caller(struct tcb *t, struct cte *dest);
/* Whether the kernel's fastpath would take this Call/ReplyRecv (counted, never different). */
bool fastpath_would_take(struct tcb *t, seL4_Syscall_ID sys);

void send_signal(struct notification *n, word_t badge);
void receive_signal(struct tcb *t, struct cap cap, bool blocking);
void cancel_signal(struct tcb *t, struct notification *n);
void complete_signal(struct notification *n, struct tcb *t);
void bind_notification(struct tcb *t, struct notification *n);
void unbind_notification(struct tcb *t);

/* Deliver a cap fault to t's fault endpoint; false when t has none (the thread stops). */
bool thread_deliver_cap_fault(struct tcb *t, word_t cptr, bool in_recv,
                              const struct lookup_fault *lf);
void do_fault_transfer(word_t badge, struct tcb *sender, struct tcb *receiver,
                       seL4_IPCBuffer *rbuf);
/* A reply to a faulted thread: whether it restarts (handleFaultReply). */
bool handle_fault_reply(struct tcb *receiver, struct tcb *sender);

/* ---- Host mappings of the root VSpace (memory.c, vspace.c) -------------------------------------
 */

/* Map physical [p, p+len) at host address va with `prot`; `replace`: va is already ours. */
void phys_host_map(word_t va, paddr_t p, word_t len, int prot, bool replace);
void phys_host_unmap(word_t va, word_t len);
/* Give back the host range handed out for this world (mappings in it become PROT_NONE). */
void host_arena_reset(void);
/* After writing frame entry `pte` for vaddr: host-map it if `vspace` is the root VSpace. */
void vspace_host_map_entry(struct paging *vspace, struct pte *pte, word_t vaddr, bool was_host);
/* Remove the host mappings below `table`, which maps the range starting at `base`. */
void vspace_host_unmap_subtree(struct paging *table, word_t base);
/* The host address of t's IPC buffer if its frame is host-mapped there, else NULL. */
void *vspace_host_ipc_buffer(struct tcb *t);
/* Remove every host mapping (shutdown). */
void vspace_host_unmap_all(void);
