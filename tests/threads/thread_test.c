/* SPDX-License-Identifier: BSD-2-Clause */
#include "thread_test.h"

#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

seL4_BootInfo *tt_bi;
int tt_failures;
char tt_first_failure[256];

static seL4_CPtr next_slot;
static seL4_CPtr untyped;
static char transcript[1 << 16];
static size_t transcript_len;

#define MAX_THREADS 512
static struct {
    seL4_CPtr tcb;
    seL4_Word vaddr;
} threads[MAX_THREADS];
static size_t num_threads;

seL4_BootInfo *tt_boot(void)
{
    return tt_boot_with(NULL);
}

seL4_BootInfo *tt_boot_with(const keel_model_config *config)
{
    tt_bi = model_test_boot(config);
    next_slot = tt_bi->empty.start;
    untyped = model_test_untyped(tt_bi, 27, false);
    assert_int_not_equal(untyped, 0);
    tt_failures = 0;
    tt_first_failure[0] = '\0';
    num_threads = 0;
    tt_log_reset();
    return tt_bi;
}

seL4_CPtr tt_slot(void)
{
    assert_true(next_slot < tt_bi->empty.end);
    return next_slot++;
}

seL4_CPtr tt_new_from(seL4_CPtr ut, seL4_Word type, seL4_Word size_bits)
{
    seL4_CPtr slot = tt_slot();
    seL4_Error err =
        seL4_Untyped_Retype(ut, type, size_bits, seL4_CapInitThreadCNode, 0, 0, slot, 1);
    assert_int_equal(err, seL4_NoError);
    return slot;
}

seL4_CPtr tt_new(seL4_Word type, seL4_Word size_bits)
{
    return tt_new_from(untyped, type, size_bits);
}

seL4_CPtr tt_mint(seL4_CPtr src, seL4_CapRights_t rights, seL4_Word badge)
{
    seL4_CPtr slot = tt_slot();
    assert_int_equal(seL4_CNode_Mint(seL4_CapInitThreadCNode, slot, 64, seL4_CapInitThreadCNode,
                                     src, 64, rights, badge),
                     seL4_NoError);
    return slot;
}

seL4_CPtr tt_thread_new(const char *name, seL4_Word prio, seL4_CPtr fault_ep)
{
    seL4_CPtr tcb = tt_new(seL4_TCBObject, 0);
    seL4_CPtr frame = tt_new(seL4_X86_4K, 0);
    seL4_Word vaddr = 0x10000000000ull + ((seL4_Word)frame << seL4_PageBits);
    assert_int_equal(seL4_TCB_Configure(tcb, fault_ep, seL4_CapInitThreadCNode, 0,
                                        seL4_CapInitThreadVSpace, 0, vaddr, frame),
                     seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(tcb, seL4_CapInitThreadTCB, prio), seL4_NoError);
    seL4_DebugNameThread(tcb, name);
    assert_true(num_threads < MAX_THREADS);
    threads[num_threads].tcb = tcb;
    threads[num_threads].vaddr = vaddr;
    num_threads++;
    return tcb;
}

seL4_Word tt_ipc_vaddr(seL4_CPtr tcb)
{
    for (size_t i = 0; i < num_threads; i++) {
        if (threads[i].tcb == tcb) {
            return threads[i].vaddr;
        }
    }
    return 0;
}

void tt_thread_start(seL4_CPtr tcb, void (*fn)(seL4_Word), seL4_Word arg)
{
    seL4_UserContext regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = (seL4_Word)(uintptr_t)fn;
    regs.rdi = arg;
    assert_int_equal(seL4_TCB_WriteRegisters(tcb, true, 0, 20, &regs), seL4_NoError);
}

seL4_CPtr tt_thread(const char *name, void (*fn)(seL4_Word), seL4_Word arg, seL4_Word prio)
{
    seL4_CPtr tcb = tt_thread_new(name, prio, 0);
    tt_thread_start(tcb, fn, arg);
    return tcb;
}

seL4_Word tt_wait(seL4_CPtr ntfn)
{
    seL4_Word badge;
    seL4_Wait(ntfn, &badge);
    return badge;
}

void tt_let_others_run(void)
{
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 50),
                     seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 255),
                     seL4_NoError);
}

int tt_state(seL4_CPtr tcb)
{
    return keel_model_tcb_state(tcb);
}

void tt_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(transcript + transcript_len, sizeof(transcript) - transcript_len, fmt, ap);
    va_end(ap);
    if (n > 0) {
        transcript_len += (size_t)n;
        if (transcript_len >= sizeof(transcript) - 1) {
            transcript_len = sizeof(transcript) - 2;
        }
        transcript[transcript_len++] = '\n';
        transcript[transcript_len] = '\0';
    }
}

const char *tt_transcript(void)
{
    return transcript;
}

void tt_log_reset(void)
{
    transcript_len = 0;
    transcript[0] = '\0';
}

void tt_fail(const char *file, int line, const char *what)
{
    if (tt_failures++ == 0) {
        (void)snprintf(tt_first_failure, sizeof(tt_first_failure), "%s:%d: %s", file, line, what);
    }
}

void tt_map_tables(seL4_Word va, seL4_Word bytes)
{
    seL4_Word end = va + bytes;
    for (seL4_Word a = va & ~((1ull << 39) - 1); a < end; a += 1ull << 39) {
        seL4_CPtr pdpt = tt_new(seL4_X86_PDPTObject, 0);
        seL4_Error err = seL4_X86_PDPT_Map(pdpt, seL4_CapInitThreadVSpace, a, 0);
        assert_true(err == seL4_NoError || err == seL4_DeleteFirst);
    }
    for (seL4_Word a = va & ~((1ull << 30) - 1); a < end; a += 1ull << 30) {
        seL4_CPtr pd = tt_new(seL4_X86_PageDirectoryObject, 0);
        seL4_Error err = seL4_X86_PageDirectory_Map(pd, seL4_CapInitThreadVSpace, a, 0);
        assert_true(err == seL4_NoError || err == seL4_DeleteFirst);
    }
    for (seL4_Word a = va & ~((1ull << 21) - 1); a < end; a += 1ull << 21) {
        seL4_CPtr pt = tt_new(seL4_X86_PageTableObject, 0);
        seL4_Error err = seL4_X86_PageTable_Map(pt, seL4_CapInitThreadVSpace, a, 0);
        assert_true(err == seL4_NoError || err == seL4_DeleteFirst);
    }
}

int tt_run_dying(void (*fn)(void), char *out, size_t size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    char spill[256]; /* output beyond `size` is drained, so the child never blocks on it */
    for (;;) {
        bool room = n + 1 < size;
        ssize_t r = read(fds[0], room ? out + n : spill, room ? size - 1 - n : sizeof(spill));
        if (r <= 0) {
            break;
        }
        n += room ? (size_t)r : 0;
    }
    out[n] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}
