/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-ipc-model: what the model's thread layer costs on the host.
 *
 *   1. Host time per seL4_Call/seL4_ReplyRecv round trip between two seL4 threads (each a host
 *      thread; every round trip is two hand-overs of the CPU baton), for 1-word messages (the
 *      kernel's fastpath case) and 120-word messages, with the world's host threads pinned to
 *      one host CPU (keel_model_config.pin_host_cpu) and not.
 *   2. How many seL4 threads a world holds: worlds with N threads that each block on a
 *      notification, N doubling, each in a child process (a model abort ends only the child);
 *      reports the largest N that worked, and the host memory (RSS) per blocked thread.
 *
 * Usage: bench-ipc-model [round-trips [max-threads]]. Figures are host timings: they vary from
 * machine to machine and no test asserts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <keel/model.h>

static seL4_CPtr next_slot, untyped, ep, block_ntfn, done;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void die(const char *what, seL4_Error err)
{
    fprintf(stderr, "bench-ipc-model: %s failed: error %d\n", what, (int)err);
    exit(1);
}

/* The first RAM untyped of at least 2^bits bytes. */
static seL4_CPtr find_untyped(const seL4_BootInfo *bi, unsigned bits)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (!d->isDevice && d->sizeBits >= bits) {
            return bi->untyped.start + i;
        }
    }
    return 0;
}

static seL4_CPtr retype(seL4_Word type, seL4_Word count)
{
    seL4_CPtr first = next_slot;
    while (count > 0) {
        seL4_Word n = count > 256 ? 256 : count;
        seL4_Error err =
            seL4_Untyped_Retype(untyped, type, 0, seL4_CapInitThreadCNode, 0, 0, next_slot, n);
        if (err != seL4_NoError) {
            die("retype", err);
        }
        next_slot += n;
        count -= n;
    }
    return first;
}

/* A thread in the root task's spaces, IPC buffer `buffer` in `frame`, started at fn(arg). */
static void start_thread(seL4_CPtr tcb, seL4_CPtr frame, seL4_Word buffer, seL4_Word prio,
                         void (*fn)(seL4_Word), seL4_Word arg)
{
    seL4_Error err = seL4_TCB_Configure(tcb, 0, seL4_CapInitThreadCNode, 0,
                                        seL4_CapInitThreadVSpace, 0, buffer, frame);
    if (err == seL4_NoError) {
        err = seL4_TCB_SetPriority(tcb, seL4_CapInitThreadTCB, prio);
    }
    seL4_UserContext regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = (seL4_Word)(uintptr_t)fn;
    regs.rdi = arg;
    if (err == seL4_NoError) {
        err = seL4_TCB_WriteRegisters(tcb, true, 0, 20, &regs);
    }
    if (err != seL4_NoError) {
        die("starting a thread", err);
    }
}

static seL4_BootInfo *boot(uint64_t ram, unsigned radix, bool pin)
{
    keel_model_config config = {.ram_bytes = ram,
                                .cnode_radix = radix,
                                .thread_stack_bytes = 256u << 10,
                                .pin_host_cpu = pin};
    seL4_BootInfo *bi = keel_model_boot(&config);
    next_slot = bi->empty.start;
    untyped = find_untyped(bi, 27);
    return bi;
}

/* ---- 1. Round trips -------------------------------------------------------------------------- */

static void echo_server(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    for (;;) {
        info = seL4_ReplyRecv(ep, info, &badge);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

enum { REPEATS = 7 };

static void round_trips(unsigned long n, bool pin)
{
    boot(0, 0, pin);
    ep = retype(seL4_EndpointObject, 1);
    seL4_CPtr tcb = retype(seL4_TCBObject, 1);
    seL4_CPtr frame = retype(seL4_X86_4K, 1);
    start_thread(tcb, frame, 0x10000000, 100, echo_server, 0);
    static const seL4_Word lengths[] = {1, 120};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        seL4_Word len = lengths[k];
        (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, len)); /* warm up */
        keel_model_counters_reset();
        double ns[REPEATS];
        for (int rep = 0; rep < REPEATS; rep++) {
            double t0 = now_ns();
            for (unsigned long i = 0; i < n; i++) {
                seL4_SetMR(0, i);
                (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, len));
            }
            ns[rep] = (now_ns() - t0) / (double)n;
        }
        qsort(ns, REPEATS, sizeof(ns[0]), cmp_double);
        keel_model_counters c;
        keel_model_counters_get(&c);
        printf("round trip, %3lu-word messages, %s: %6.0f ns per Call/ReplyRecv (median of %d "
               "runs of %lu; fastest %.0f ns); per round trip: %.1f context switches, %.1f "
               "fastpath-eligible syscalls\n",
               (unsigned long)len, pin ? "pinned to one host CPU" : "host threads unpinned ",
               ns[REPEATS / 2], REPEATS, n, ns[0],
               (double)c.context_switches / (double)(n * REPEATS),
               (double)c.fastpath / (double)(n * REPEATS));
    }
    keel_model_shutdown();
}

/* ---- 2. How many threads ------------------------------------------------------------------- */

static void block(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_RecvWithMRs(block_ntfn, &badge, NULL, NULL, NULL, NULL);
}

static void finish(seL4_Word arg)
{
    (void)arg;
    seL4_Signal(done);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) {
            resident = 0;
        }
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* In a child: a world with n blocked threads. Prints its figures; exit 0 if it worked. */
static void world_with_threads(unsigned long n)
{
    boot(8ull << 30, 18, false);
    block_ntfn = retype(seL4_NotificationObject, 1);
    done = retype(seL4_NotificationObject, 1);
    long before = rss_kib();
    double t0 = now_ns();
    seL4_CPtr tcbs = retype(seL4_TCBObject, n);
    seL4_CPtr frames = retype(seL4_X86_4K, (n + 3) / 4); /* four 1 KiB IPC buffers a frame */
    for (unsigned long i = 0; i < n; i++) {
        start_thread(tcbs + i, frames + i / 4, 0x10000000 + (i << 10), 100, block, 0);
    }
    seL4_CPtr fin = retype(seL4_TCBObject, 1);
    start_thread(fin, frames, 0x10000000, 1, finish, 0);
    seL4_Word badge;
    seL4_Wait(done, &badge); /* every thread has run and blocked */
    double t1 = now_ns();
    long after = rss_kib();
    keel_model_counters c;
    keel_model_counters_get(&c);
    printf("  %6lu blocked threads: ok, %lu host threads, %.1f us per thread to create and "
           "block, host RSS %.1f KiB per thread\n",
           n, (unsigned long)c.threads_started, (t1 - t0) / 1e3 / (double)n,
           (double)(after - before) / (double)n);
    fflush(stdout);
    double t2 = now_ns();
    keel_model_shutdown();
    printf("          shutdown joined them in %.1f ms\n", (now_ns() - t2) / 1e6);
    fflush(stdout);
}

static bool try_threads(unsigned long n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        return false;
    }
    if (pid == 0) {
        world_with_threads(n);
        _exit(0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        return false;
    }
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        printf("  %6lu blocked threads: failed (%s %d)\n", n,
               WIFSIGNALED(status) ? "signal" : "exit status",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
    return ok;
}

int main(int argc, char **argv)
{
    unsigned long trips = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
    unsigned long max_threads = argc > 2 ? strtoul(argv[2], NULL, 0) : 32768;
    double load[3] = {0, 0, 0};
    if (getloadavg(load, 3) == 3) {
        printf("host: %ld CPUs, load average %.2f (host timings depend on it)\n",
               sysconf(_SC_NPROCESSORS_ONLN), load[0]);
    }
    if (trips > 0) {
        round_trips(trips, true);
        round_trips(trips, false);
    }
    if (max_threads < 256) {
        return 0;
    }
    printf("threads (each blocked in a Wait, 256 KiB host stacks):\n");
    unsigned long good = 0, bad = 0;
    for (unsigned long n = 256; n <= max_threads; n *= 2) {
        if (!try_threads(n)) {
            bad = n;
            break;
        }
        good = n;
    }
    /* Narrow down between the last success and the first failure. */
    for (int step = 0; bad != 0 && step < 3 && bad - good > 256; step++) {
        unsigned long mid = (good + bad) / 2;
        if (try_threads(mid)) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    printf("largest number of threads that worked: %lu%s\n", good,
           bad == 0 ? " (the most tried)" : "");
    return 0;
}
