/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Host threads for seL4 threads: the model runs every seL4 thread on a host thread of its own,
 * and lets exactly one of them run at a time (sel4-semantics §11.1).
 *
 * The CPU baton. ks.current is the seL4 thread on the one CPU. Only its host thread runs user
 * code; every other host thread of the world waits on a semaphore of its own. A kernel entry
 * runs under the kernel lock, and when it ends, schedule() (sched.c) decides who is current
 * next. If that is another thread, the entering host thread releases the lock, wakes that
 * thread's host thread (creating it the first time the thread runs) and waits until it is
 * current again; a woken host thread re-checks, under the lock, that it is current. So threads
 * switch only at kernel entries, as on the real kernel without timer preemption, every decision is
 * taken under the lock by the same deterministic code, and a program prints the same lines on every
 * run.
 *
 * Mapping. The root thread is the host thread that booted the world. Any other thread gets a
 * host thread the first time it is chosen to run; that host thread calls the C function at
 * its rip, `void (*)(seL4_Word)`, with its rdi as argument, and __sel4_ipc_buffer set to the
 * host address of its kernel-registered IPC buffer (the vaddr itself if the frame is mapped
 * there in the root VSpace, else a pointer to the frame's bytes; NULL without a buffer). The
 * stack pointer is ignored. A blocked thread's host thread waits inside kernel_syscall(); when
 * it is woken Running it returns the results the kernel left in its registers, when it is
 * woken Restart it re-executes the syscall (as the kernel does with the restart PC), unless it
 * was suspended while Running, after its syscall had finished (updateRestartPC): then it goes
 * on after the syscall.
 *
 * Returning from the thread function stops the thread as Suspend would; a Resume calls the
 * function again from rip. Rewriting rip (WriteRegisters, CopyRegisters) of a thread whose
 * host thread has started makes it start afresh at the new rip the next time it runs: the host
 * thread long-jumps back to its entry frame. The model has no program counter inside a
 * function, so ReadRegisters shows the entry point as rip, and writing back the same rip lets
 * the thread continue.
 *
 * If nobody can run (every thread blocked or stopped), the kernel would idle forever: with no
 * interrupts in the model that is a deadlock, reported with every thread and its state, and
 * the program aborts. Deleting a thread's TCB ends its host thread. keel_model_shutdown() (from
 * the root thread) wakes every host thread with a kill flag, each long-jumps out of whatever it
 * was blocked in and returns, and shutdown joins them all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define DEFAULT_STACK_BYTES (1u << 20)

struct host_thread {
    struct host_thread *next; /* ks.hosts */
    struct tcb *tcb;          /* NULL once the TCB is destroyed */
    pthread_t pthread;
    sem_t wake;    /* posted when the thread may have become current (or must leave) */
    jmp_buf top;   /* the host thread's entry frame: restart at rip, or leave */
    bool created;  /* a pthread of ours exists (joined at shutdown) */
    bool is_root;  /* the booting host thread: not ours, never long-jumps */
    bool kill;     /* leave at the next wake-up (shutdown, TCB destroyed) */
    bool redirect; /* rip was rewritten: start afresh at rip */
};

extern _Thread_local seL4_IPCBuffer *__sel4_ipc_buffer;

static _Thread_local struct host_thread *host_me;

static struct host_thread *host_new(struct tcb *t)
{
    struct host_thread *h = kzalloc(sizeof(*h));
    sem_init(&h->wake, 0, 0);
    h->tcb = t;
    h->next = ks.hosts;
    ks.hosts = h;
    t->host = h;
    return h;
}

const char *thread_state_name(enum thread_state s)
{
    static const char *const names[] = {
        "inactive",
        "running",
        "restart",
        "blocked on receive",
        "blocked on send",
        "blocked on reply",
        "blocked on notification",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "(not a thread state)";
}

_Noreturn static void deadlock(void)
{
    fprintf(stderr, "keel model: deadlock: no seL4 thread can run (every thread is blocked or "
                    "stopped, and the model has no interrupts to wake one); the real kernel would "
                    "idle forever. Threads:\n");
    for (struct kobj *o = ks.objects[seL4_TCBObject]; o != NULL; o = o->next) {
        struct tcb *t = (struct tcb *)o;
        fprintf(stderr, "  '%s' (TCB at %#llx) priority %u: %s", t->name,
                (unsigned long long)o->paddr, t->priority, thread_state_name(t->state));
        if (t->state == TS_BLOCKED_ON_RECEIVE || t->state == TS_BLOCKED_ON_SEND ||
            t->state == TS_BLOCKED_ON_NOTIFICATION) {
            fprintf(stderr, " on the %s at %#llx",
                    t->blocked_on->type == seL4_EndpointObject ? "endpoint" : "notification",
                    (unsigned long long)t->blocked_on->paddr);
        }
        if (t->fault.type != seL4_Fault_NullFault) {
            fprintf(stderr, " (with a pending cap fault on CPtr %#llx)",
                    (unsigned long long)t->fault.addr);
        }
        fputc('\n', stderr);
    }
    fflush(stderr);
    abort();
}

static void *host_main(void *arg);

/*
 * Make t's host thread notice that t is current: start it the first time (it then waits for
 * the lock), else return it for the caller to wake once the lock is released.
 */
static struct host_thread *host_wake(struct tcb *t)
{
    struct host_thread *h = t->host != NULL ? t->host : host_new(t);
    if (h->created || h->is_root) {
        return h;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, ks.thread_stack_bytes);
    if (ks.pinned_cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET((size_t)ks.pinned_cpu, &one);
        pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
    }
    int err = pthread_create(&h->pthread, &attr, host_main, h);
    pthread_attr_destroy(&attr);
    if (err != 0) {
        kernel_unlock();
        model_panic("cannot start a host thread for seL4 thread '%s' (%llu host threads started "
                    "so far): %s",
                    t->name, (unsigned long long)ks.counters.threads_started, strerror(err));
    }
    h->created = true;
    ks.counters.threads_started++;
    return NULL;
}

/* Wait, lock held, until h's thread is current or h must leave. */
static void host_wait(struct host_thread *h)
{
    while (ks.current != h->tcb && !h->kill && h->tcb != NULL) {
        kernel_unlock();
        sem_wait(&h->wake);
        kernel_lock();
    }
}

/* Leave the world from a host thread whose thread is gone (lock held). */
_Noreturn static void host_leave(struct host_thread *h)
{
    if (h->is_root) {
        kernel_unlock();
        model_panic("the root thread's TCB was deleted: the root task's host thread is the "
                    "program's own and cannot be ended by the model");
    }
    longjmp(h->top, 1);
}

/*
 * End of a kernel entry for host thread h (lock held): hand the CPU to ks.current and wait
 * until h's thread is current again. Returns with h's thread current; may long-jump instead.
 */
static void settle(struct host_thread *h)
{
    if (ks.current == NULL) {
        deadlock();
    }
    if (ks.current != h->tcb) {
        /* Post after unlocking, so the woken thread finds the lock free. Nothing else can
         * run in between: every other host thread waits for its own post. */
        struct host_thread *next = host_wake(ks.current);
        bool gone = h->kill || h->tcb == NULL; /* e.g. it deleted its own TCB */
        kernel_unlock();
        if (next != NULL) {
            sem_post(&next->wake);
        }
        if (gone) {
            kernel_lock();
            host_leave(h);
        }
        for (;;) {
            sem_wait(&h->wake);
            kernel_lock();
            if (ks.current == h->tcb || h->kill || h->tcb == NULL) {
                break;
            }
            kernel_unlock(); /* a stale post: not our turn yet */
        }
    }
    if (h->kill || h->tcb == NULL) {
        host_leave(h);
    }
    if (h->redirect) {
        longjmp(h->top, 1);
    }
}

/* activateThread: a thread that becomes current in Restart goes back to Running. */
static void activate(struct tcb *t)
{
    if (t->state == TS_RESTART) {
        set_thread_state(t, TS_RUNNING);
    }
}

static seL4_IPCBuffer *host_ipc_buffer(struct tcb *t)
{
    if (t->ipc_buffer == 0) {
        return NULL;
    }
    void *va = vspace_host_ipc_buffer(t);
    if (va != NULL) {
        return va;
    }
    struct cap frame = t->slots[TCB_BUFFER].cap;
    if (frame.type != KEEL_MODEL_CAP_FRAME) {
        return NULL;
    }
    return phys_ptr(frame.paddr + (t->ipc_buffer & MASK(frame.size_bits)), sizeof(seL4_IPCBuffer));
}

static void *host_main(void *arg)
{
    struct host_thread *h = arg;
    host_me = h;
    kernel_lock();
    host_self = h->tcb;
    /* Every restart at rip and every exit long-jumps here, with the lock held. */
    (void)setjmp(h->top);
    for (;;) {
        host_wait(h);
        if (h->kill || h->tcb == NULL) {
            break;
        }
        struct tcb *t = h->tcb;
        h->redirect = false;
        t->restart_after_syscall = false;
        activate(t);
        void (*fn)(seL4_Word) = (void (*)(seL4_Word))(uintptr_t)t->regs.rip;
        seL4_Word fn_arg = t->sr.cptr_or_badge;
        __sel4_ipc_buffer = host_ipc_buffer(t);
        if (fn == NULL) {
            kernel_unlock();
            model_panic("seL4 thread '%s' was started with rip 0: the model runs the C function "
                        "`void f(seL4_Word)` at rip (set it with seL4_TCB_WriteRegisters)",
                        t->name);
        }
        kernel_unlock();
        fn(fn_arg);
        kernel_lock();
        /* Returning from the thread function stops the thread, as Suspend would. */
        t = h->tcb;
        thread_suspend(t);
        schedule();
        kernel_reap();
        settle(h);
    }
    host_self = NULL;
    kernel_unlock();
    return NULL;
}

/* ---- Kernel entry ---------------------------------------------------------------------------- */

void kernel_enter(struct tcb *t)
{
    kernel_lock();
    if (!ks.booted) {
        kernel_unlock();
        model_panic("seL4 call after the world was shut down");
    }
    if (t != ks.current) {
        kernel_unlock();
        model_panic("thread '%s' entered the kernel but is not the running thread", t->name);
    }
    if (t->fault_stopped) {
        /* A fault hook long-jumped out instead of returning: the harness took the thread back
         * (tests do this with EXPECT_CAP_FAULT); it runs on. */
        t->fault_stopped = false;
        if (t->state == TS_INACTIVE) {
            set_thread_state(t, TS_RUNNING);
        }
    }
    if (t->state != TS_RUNNING) {
        kernel_unlock();
        model_panic("thread '%s' entered the kernel while %s", t->name,
                    thread_state_name(t->state));
    }
}

void kernel_exit(struct tcb *t)
{
    (void)t;
    kernel_unlock();
}

void thread_run_syscall(struct tcb *t)
{
    struct host_thread *h = host_me;
    for (;;) {
        syscall_dispatch(t);
        if (t->fault_stopped) {
            fault_report(t); /* the hook runs while t still holds the CPU */
        }
        schedule();
        kernel_reap();
        settle(h);
        t = h->tcb;
        if (t->state != TS_RESTART) {
            return;
        }
        bool done = t->restart_after_syscall;
        t->restart_after_syscall = false;
        activate(t);
        if (done) {
            return; /* suspended after its syscall had finished: go on after it */
        }
        /* re-execute the syscall, as from the restart PC */
    }
}

void thread_stopped_by_fault(struct tcb *t)
{
    t->fault_stopped = false;
    if (t == ks.root_tcb) {
        kernel_unlock();
        model_panic("a fault hook returned for the root thread, which has no fault handler and "
                    "cannot continue; the hook must not return");
    }
}

void thread_tcb_destroyed(struct tcb *t)
{
    struct host_thread *h = t->host;
    if (t == ks.root_tcb) {
        ks.root_tcb = NULL;
    }
    if (ks.current == t) {
        /* schedule() at the end of this entry looks at it once more; it is Inactive. */
    }
    if (h == NULL) {
        return;
    }
    h->tcb = NULL;
    t->host = NULL;
    if (h != host_me) {
        h->kill = true;
        sem_post(&h->wake);
    }
}

void thread_redirect(struct tcb *t)
{
    struct host_thread *h = t->host;
    if (h == NULL) {
        return; /* not started: it starts at rip anyway */
    }
    if (h->is_root) {
        model_panic("the root thread's rip was rewritten: the root task's host thread is the "
                    "program's own and cannot be moved to another function");
    }
    h->redirect = true;
}

/* ---- Worlds ---------------------------------------------------------------------------------- */

/* The booting thread's own affinity, restored at shutdown when the world pinned it. */
static _Thread_local cpu_set_t root_affinity;

void threads_boot(struct tcb *root, bool pin_host_cpu)
{
    struct host_thread *h = host_new(root);
    h->is_root = true;
    ks.pinned_cpu = -1;
    if (pin_host_cpu) {
        int cpu = sched_getcpu();
        cpu_set_t one;
        CPU_ZERO(&one);
        if (cpu >= 0 &&
            pthread_getaffinity_np(pthread_self(), sizeof(root_affinity), &root_affinity) == 0) {
            CPU_SET((size_t)cpu, &one);
            if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0) {
                ks.pinned_cpu = cpu;
            }
        }
    }
    host_me = h;
    host_self = root;
    ks.current = root;
    ks.action = SCHED_RESUME_CURRENT;
    if (ks.thread_stack_bytes == 0) {
        ks.thread_stack_bytes = DEFAULT_STACK_BYTES;
    }
    setup_reply_master(root);
    (void)snprintf(root->name, sizeof(root->name), "rootserver");
}

void threads_shutdown(void)
{
    kernel_lock();
    if (!ks.booted) {
        kernel_unlock();
        return;
    }
    if (host_self != NULL && host_me != NULL && !host_me->is_root) {
        kernel_unlock();
        model_panic("keel_model_shutdown() called from seL4 thread '%s': only the root thread "
                    "(or a host thread outside the world) may end a world",
                    host_self->name);
    }
    if (ks.pinned_cpu >= 0 && host_me != NULL && host_me->is_root) {
        pthread_setaffinity_np(pthread_self(), sizeof(root_affinity), &root_affinity);
    }
    /* One at a time: waking them all at once would have thousands fight for the lock. */
    for (struct host_thread *h = ks.hosts; h != NULL; h = h->next) {
        if (h->created) {
            h->kill = true;
            sem_post(&h->wake);
            kernel_unlock();
            pthread_join(h->pthread, NULL);
            kernel_lock();
        }
    }
    while (ks.hosts != NULL) {
        struct host_thread *h = ks.hosts;
        ks.hosts = h->next;
        if (h->tcb != NULL) {
            h->tcb->host = NULL;
        }
        sem_destroy(&h->wake);
        kfree(h, sizeof(*h));
    }
    ks.current = NULL;
    vspace_host_unmap_all();
    host_arena_reset();
    kernel_unlock();
    host_me = NULL;
    host_self = NULL;
}

/* ---- Model API ------------------------------------------------------------------------------- */

int keel_model_tcb_state(seL4_CPtr tcb)
{
    kernel_lock();
    struct cte *slot;
    struct lookup_fault lf;
    int rc = -1;
    if (host_self != NULL && lookup_slot(host_self, tcb, &slot, &lf) &&
        slot->cap.type == KEEL_MODEL_CAP_TCB) {
        rc = (int)((struct tcb *)slot->cap.obj)->state;
    }
    kernel_unlock();
    return rc;
}

void seL4_DebugNameThread(seL4_CPtr tcb, const char *name)
{
    kernel_lock();
    struct cte *slot;
    struct lookup_fault lf;
    if (host_self == NULL || !lookup_slot(host_self, tcb, &slot, &lf) ||
        slot->cap.type != KEEL_MODEL_CAP_TCB) {
        kernel_unlock();
        model_panic("seL4_DebugNameThread: CPtr %#llx is not a TCB cap (the kernel halts here)",
                    (unsigned long long)tcb);
    }
    struct tcb *t = (struct tcb *)slot->cap.obj;
    (void)snprintf(t->name, sizeof(t->name), "%s", name);
    kernel_unlock();
}
