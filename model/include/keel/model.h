/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/model.h — the host-side model of seL4: boot a world, look inside it, make it fail.
 *
 * Programs talk to the model through libsel4's API (<sel4/sel4.h>) exactly as they would talk
 * to the kernel. This header is the model's own interface, for tests, benchmarks and tools:
 * it never exists on seL4, and the Keel library never includes it.
 *
 * A world is global, as the kernel is: one booted world at a time per process. Booting binds
 * the calling host thread to the root task's TCB. Every function here may be called only by a
 * host thread that is an seL4 thread of the current world (the root thread, or a thread the
 * model started), except keel_model_boot() and keel_model_shutdown().
 *
 * Threads (docs/model-threads.md): every other seL4 thread runs on a host thread the model
 * starts the first time the thread is scheduled; it calls the C function at its rip,
 * `void f(seL4_Word arg)`, with arg = its rdi, and its __sel4_ipc_buffer set to its
 * kernel-registered IPC buffer. Exactly one seL4 thread runs at a time, chosen as the real
 * kernel chooses (one CPU, strict priority, no timer preemption: threads switch only at
 * kernel entries), so runs are deterministic. Returning from the function stops the thread.
 * If every thread is blocked the model reports a deadlock (all threads and their states) and
 * aborts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

/* ---- Worlds ------------------------------------------------------------------------------ */

/* One physical memory region of a memory map: [start, end), RAM or device. */
typedef struct keel_model_region {
    uint64_t start;
    uint64_t end;
    bool device;
} keel_model_region;

typedef struct keel_model_config {
    /* Root CNode radix (CONFIG_ROOT_CNODE_SIZE_BITS); 0 means 12. */
    unsigned cnode_radix;
    /*
     * 0: the world the real kernel gives a root task under qemu-system-x86_64 -m 512M, slot for
     * slot and byte for byte (docs/model.md). Otherwise a qemu-like PC with this much RAM:
     * RAM below 3 GiB and the rest above 4 GiB, device memory everywhere else up to 2^47.
     */
    uint64_t ram_bytes;
    /* An explicit memory map instead (sorted, disjoint); overrides ram_bytes when non-NULL. */
    const keel_model_region *regions;
    size_t num_regions;
    /* Host stack size of each thread the model starts; 0 means 1 MiB. */
    size_t thread_stack_bytes;
    /*
     * Run every host thread of the world on the host CPU the booting thread is on (the booting
     * thread too, until shutdown restores its affinity). The model runs one seL4 thread at a
     * time anyway; handing the CPU over on one host CPU is several times cheaper than across
     * CPUs. Host threads the booting thread creates meanwhile inherit the restriction.
     */
    bool pin_host_cpu;
} keel_model_config;

/*
 * Boot a world (NULL: the default one), replacing any world booted before. The calling host
 * thread becomes the root thread, with its IPC buffer set. Physical memory is reserved, not
 * committed: a 64 GiB world boots in about a millisecond. Returns the root task's BootInfo.
 */
seL4_BootInfo *keel_model_boot(const keel_model_config *config);

/*
 * Destroy the current world (all objects, threads and memory). Idempotent. Call it from the
 * root thread (or a host thread outside the world): it stops and joins every host thread the
 * world started, wherever it was blocked.
 */
void keel_model_shutdown(void);

/* The current world's BootInfo, or NULL when none is booted. */
seL4_BootInfo *keel_model_bootinfo(void);

/* ---- Looking at caps and objects ---------------------------------------------------------- */

typedef enum keel_model_cap_type {
    KEEL_MODEL_CAP_NULL,
    KEEL_MODEL_CAP_UNTYPED,
    KEEL_MODEL_CAP_ENDPOINT,
    KEEL_MODEL_CAP_NOTIFICATION,
    KEEL_MODEL_CAP_CNODE,
    KEEL_MODEL_CAP_TCB,
    KEEL_MODEL_CAP_REPLY,
    KEEL_MODEL_CAP_ZOMBIE,
    KEEL_MODEL_CAP_IRQ_CONTROL,
    KEEL_MODEL_CAP_IRQ_HANDLER,
    KEEL_MODEL_CAP_DOMAIN,
    KEEL_MODEL_CAP_FRAME,
    KEEL_MODEL_CAP_PAGE_TABLE,
    KEEL_MODEL_CAP_PAGE_DIRECTORY,
    KEEL_MODEL_CAP_PDPT,
    KEEL_MODEL_CAP_PML4,
    KEEL_MODEL_CAP_ASID_CONTROL,
    KEEL_MODEL_CAP_ASID_POOL,
    KEEL_MODEL_CAP_IO_PORT_CONTROL,
    KEEL_MODEL_CAP_IO_PORT,
    KEEL_MODEL_CAP_TYPE_COUNT
} keel_model_cap_type;

/* Printable name of a cap type ("untyped", "endpoint", ...). */
const char *keel_model_cap_type_name(keel_model_cap_type type);

/* Frame VM rights as the kernel keeps them (sel4-semantics §4.2). */
enum { KEEL_MODEL_VM_KERNEL_ONLY = 1, KEEL_MODEL_VM_READ_ONLY = 2, KEEL_MODEL_VM_READ_WRITE = 3 };

typedef struct keel_model_cap_info {
    keel_model_cap_type type;
    bool original;      /* the CDT "original" (revocable) bit */
    bool has_children;  /* at least one CDT child */
    uint64_t paddr;     /* physical base of the object or region (0 for caps without memory) */
    unsigned size_bits; /* log2 size of the object or region in bytes */
    bool device;        /* untyped or frame over device memory */
    seL4_Word badge;    /* endpoint, notification */
    seL4_Word rights;   /* endpoint/notification/reply: seL4_CapRights_t bits; frame: VM rights */
    unsigned radix;     /* CNode */
    unsigned guard_size;
    seL4_Word guard;
    seL4_Word watermark; /* untyped: bytes used below the watermark (freeIndex * 16) */
    bool mapped;         /* frame or paging structure */
    seL4_Word vaddr;
    unsigned asid;
} keel_model_cap_info;

/*
 * Describe the cap in the slot that `cptr` names in the calling thread's CSpace, resolved as
 * the kernel resolves an invoked cap (64 bits). Returns 0, or -1 when the CPtr does not
 * resolve (out is then untouched). An empty slot reads as KEEL_MODEL_CAP_NULL.
 */
int keel_model_cap(seL4_CPtr cptr, keel_model_cap_info *out);

/* The same for a slot addressed as CNode operations address it (root, index, depth). */
int keel_model_cap_at(seL4_CNode root, seL4_Word index, seL4_Word depth, keel_model_cap_info *out);

/* Where a slot is: in a CNode or a TCB (by its physical address), and its CPtr if it has one. */
typedef struct keel_model_slot {
    uint64_t container; /* physical address of the CNode or TCB that holds the slot */
    bool in_tcb;        /* one of a TCB's internal slots (CSpace root, VSpace root, ...) */
    seL4_Word index;    /* slot index in its container */
    seL4_CPtr cptr;     /* the slot's CPtr in the calling thread's CSpace (depth 64) or 0 */
} keel_model_slot;

/*
 * The CDT children of the cap named by `parent`, in derivation order (newest retype first), as
 * the kernel would revoke them. Writes at most `max` entries and returns how many children
 * there are. With `descendants`, every descendant instead, in pre-order.
 */
size_t keel_model_cdt_children(seL4_CPtr parent, bool descendants, keel_model_slot *out,
                               size_t max);

/* Live caps of a type, in every slot of the world (CNodes and TCB-internal slots); empty
 * slots are not counted (KEEL_MODEL_CAP_NULL gives 0). */
size_t keel_model_cap_count(keel_model_cap_type type);

/*
 * Live kernel objects of an seL4 object type (seL4_EndpointObject, seL4_X86_4K, ...): created
 * by retype (or at boot) and not yet destroyed by the deletion of their last cap. Untypeds
 * have no existence apart from their caps: for seL4_UntypedObject this counts untyped caps.
 */
size_t keel_model_object_count(seL4_Word object_type);

/* ---- Invariants and leaks ----------------------------------------------------------------- */

/*
 * Check the kernel invariants over the whole world: CDT list well formed and every parent
 * covering its children, caps to one object adjacent in derivation order, no two live objects
 * overlapping (objects nest only inside untypeds), every byte above a RAM untyped's watermark
 * zero, live counts consistent, and the kernel's pointers between objects (wait queues, bindings,
 * ready queues, reply caps, ASID table) consistent with each other and with thread states
 * (docs/model.md). Returns 0, or -1 with the first violation described in msg.
 */
int keel_model_check(char *msg, size_t msg_len);

typedef struct keel_model_snapshot {
    size_t caps[KEEL_MODEL_CAP_TYPE_COUNT];
    size_t objects[seL4_ObjectTypeCount];
    size_t asid_pools; /* made by ASIDControl_MakePool (and the boot one) */
} keel_model_snapshot;

void keel_model_snapshot_take(keel_model_snapshot *snap);

/*
 * Leak check: 0 when the world holds exactly as many caps of each type and objects of each
 * type as when `before` was taken; otherwise -1 with the differences described in msg.
 */
int keel_model_leak_check(const keel_model_snapshot *before, char *msg, size_t msg_len);

/* ---- Threads ----------------------------------------------------------------------------------
 */

/* seL4 thread states (the kernel's), as keel_model_tcb_state() reports them. */
typedef enum keel_model_thread_state {
    KEEL_MODEL_THREAD_INACTIVE,
    KEEL_MODEL_THREAD_RUNNING,
    KEEL_MODEL_THREAD_RESTART,
    KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE,
    KEEL_MODEL_THREAD_BLOCKED_ON_SEND,
    KEEL_MODEL_THREAD_BLOCKED_ON_REPLY,
    KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION,
} keel_model_thread_state;

/* The state of the thread whose TCB `tcb` names (a keel_model_thread_state), or -1. */
int keel_model_tcb_state(seL4_CPtr tcb);

/*
 * A host virtual range of `bytes` aligned to 2^align_bits (at least 4 KiB) that nothing in the
 * host uses, for mapping frames into the root task's VSpace: a frame mapped there at vaddr is
 * readable and writable at that address in the host. Valid until shutdown.
 */
void *keel_model_host_range(size_t bytes, unsigned align_bits);

/* ---- Physical memory ---------------------------------------------------------------------- */

/*
 * A host pointer to physical memory [paddr, paddr + len) (RAM or device), valid until
 * shutdown; NULL if the range is not memory of this world. Reads and writes through it are
 * the bytes frames hold.
 */
void *keel_model_phys(uint64_t paddr, size_t len);

/* Whether every byte of [paddr, paddr + len) is zero (without committing untouched memory). */
bool keel_model_phys_is_zero(uint64_t paddr, uint64_t len);

/* ---- Counters ----------------------------------------------------------------------------- */

#define KEEL_MODEL_NUM_LABELS   nArchInvocationLabels
#define KEEL_MODEL_NUM_SYSCALLS 8 /* indexed by -seL4_Syscall_ID - 1 */

typedef struct keel_model_counters {
    uint64_t invocations;                       /* kernel-object invocations, any label */
    uint64_t by_label[KEEL_MODEL_NUM_LABELS];   /* per invocation label */
    uint64_t errors;                            /* invocations that returned an error */
    uint64_t syscalls[KEEL_MODEL_NUM_SYSCALLS]; /* per system call */
    uint64_t bytes_zeroed;                      /* zeroed by untyped resets and table unmaps */
    uint64_t objects_created;                   /* by retype */
    uint64_t caps_deleted;                      /* slots emptied by delete/revoke */
    uint64_t faults;                            /* cap faults taken */
    /*
     * Call/ReplyRecv syscalls that the kernel's fastpath would have taken (the model always
     * takes the same, slow, path): at most 4 message words and no extra caps, and for a Call
     * an endpoint cap with Send and Grant or GrantReply whose endpoint has a receiver waiting
     * that may run at once; for a ReplyRecv an endpoint cap with Receive, no sender waiting, no
     * active bound notification, and a reply cap whose caller has the highest ready priority
     * (docs/model-threads.md has the full list).
     */
    uint64_t fastpath;
    uint64_t ipc_messages;     /* message transfers between threads, replies and faults included */
    uint64_t context_switches; /* times another seL4 thread got the CPU */
    uint64_t threads_started;  /* host threads started for seL4 threads */
} keel_model_counters;

void keel_model_counters_get(keel_model_counters *out);
void keel_model_counters_reset(void);

/* The number of kernel-object invocations so far: cheap, for "calls per operation" counts. */
uint64_t keel_model_invocations(void);

/* ---- Fault injection ---------------------------------------------------------------------- */

#define KEEL_MODEL_ANY_LABEL (-1L)

/*
 * Arm a one-shot failure: the nth kernel-object invocation from now (1 = the next one) whose
 * label is `label` (or any, with KEEL_MODEL_ANY_LABEL) returns `error` without doing
 * anything, with detail words as the kernel would give for that error (docs/model.md).
 * Re-arming replaces the previous one.
 */
void keel_model_inject_fail(uint64_t nth, long label, seL4_Error error);
void keel_model_inject_clear(void);
/* Whether the armed failure has fired. */
bool keel_model_inject_fired(void);

/* ---- Faults ------------------------------------------------------------------------------- */

typedef struct keel_model_fault {
    const char *syscall; /* "seL4_Call", "seL4_Recv", ... */
    const char *thread;  /* the faulting thread's name */
    seL4_CPtr cptr;      /* the CPtr that failed to resolve */
    seL4_CPtr invoked;   /* the CPtr the syscall was made on (invoked or received on) */
    int extra_cap;       /* -1: `invoked` itself failed; else the index of the extra cap that did */
    seL4_Word label;     /* the message label of a send-phase fault (0 in the receive phase) */
    /* libsel4's name of that label as an invocation ("CNodeCopy"); NULL in the receive phase,
     * for label 0, and when the invoked cap is an endpoint, notification or reply cap (the label
     * is then the message's own) */
    const char *label_name;
    bool in_recv_phase;  /* the receive half of a syscall */
    seL4_Word lookup[4]; /* lookup failure: type, bitsLeft, guardFound/bitsFound, bitsFound */
    /* A readable description: the syscall and label, the invoked CPtr, which CPtr failed and
     * how, e.g. "seL4_Call (CNodeCopy) on CPtr 0x2: extra cap 0 (CPtr 0x10000000000) failed to
     * resolve (guard mismatch, bits left 64); ..." */
    char message[512];
} keel_model_fault;

typedef void (*keel_model_fault_hook)(const keel_model_fault *fault, void *ctx);

/*
 * Cap faults (a failed lookup of an invoked, extra or receive CPtr) are never turned into
 * error returns. A fault that the kernel would deliver to a fault endpoint is delivered; one
 * that would stop a thread without a handler calls this hook, outside the kernel lock, on the
 * faulting thread's host thread, before any other seL4 thread runs. The default hook prints
 * the message and aborts. If the hook returns, the thread stays stopped (Inactive) until a
 * Resume, as on the kernel; a hook for the root thread must not return (tests longjmp out of
 * it; if it returns, the model aborts). A hook that long-jumps out hands the thread back to
 * the caller: the model lets it run on from its next kernel entry. A hook must not make seL4
 * system calls.
 */
void keel_model_set_fault_hook(keel_model_fault_hook hook, void *ctx);
