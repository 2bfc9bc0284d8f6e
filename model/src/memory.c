/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Physical memory: host memory, reserved lazily.
 *
 * The whole physical address space [0, 2^47) is one sparse memfd whose file offset is the
 * physical address, so a page costs nothing until someone writes it, and two mappings of the
 * same physical page share its bytes. RAM is mapped once, as one window over [0, top of RAM)
 * with MAP_NORESERVE: a 64 GiB world reserves address space, not memory. Device memory above
 * the window is mapped on demand, 1 GiB at a time.
 *
 * Zeroing is real: whole pages are returned to the host with FALLOC_FL_PUNCH_HOLE (they read
 * back as zero and cost nothing again), partial pages are cleared with memset. Checking for
 * zeros skips holes with SEEK_DATA, so checking a large untouched untyped commits nothing.
 *
 * Host mappings (§10): a frame mapped into the root task's VSpace is mmap'ed from the memfd at
 * its vaddr. Addresses come from a host arena, a 16 GiB PROT_NONE reservation made once per
 * process wherever the host (and ASan/TSan's layouts) put it, handed out by
 * keel_model_host_range() and given back at shutdown; an unmapped arena page goes back to
 * PROT_NONE so the host never reuses it. Any other address is mapped only if the host does not
 * use it (MAP_FIXED_NOREPLACE), and the model aborts with a clear message if it does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel.h"

#define PAGE            4096ull
#define CHUNK_BITS      30
#define NUM_CHUNK_SLOTS 4096 /* device windows outside RAM: open-addressed by chunk number */

struct phys {
    int fd;
    uint8_t *ram; /* window over [0, ram_top) */
    paddr_t ram_top;
    keel_model_region *regions;
    size_t num_regions;
    struct {
        paddr_t chunk; /* chunk number + 1; 0 = empty */
        uint8_t *base;
    } dev[NUM_CHUNK_SLOTS];
    struct span_map *spans; /* device ranges crossing a window boundary, mapped whole */
};

struct span_map {
    struct span_map *next;
    paddr_t start;
    word_t len;
    uint8_t *base;
};

static struct phys phys;

int phys_init(const keel_model_region *regions, size_t num_regions)
{
    memset(&phys, 0, sizeof(phys));
    phys.fd = memfd_create("keel-model-phys", MFD_CLOEXEC);
    if (phys.fd < 0) {
        return -errno;
    }
    if (ftruncate(phys.fd, (off_t)PADDR_TOP) != 0) {
        int err = -errno;
        close(phys.fd);
        return err;
    }
    for (size_t i = 0; i < num_regions; i++) {
        if (!regions[i].device && regions[i].end > phys.ram_top) {
            phys.ram_top = regions[i].end;
        }
    }
    phys.ram_top = (phys.ram_top + PAGE - 1) & ~(PAGE - 1);
    if (phys.ram_top > 0) {
        void *p = mmap(NULL, phys.ram_top, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
                       phys.fd, 0);
        if (p == MAP_FAILED) {
            int err = -errno;
            close(phys.fd);
            return err;
        }
        phys.ram = p;
    }
    phys.regions = kzalloc(num_regions * sizeof(*regions));
    memcpy(phys.regions, regions, num_regions * sizeof(*regions));
    phys.num_regions = num_regions;
    return 0;
}

void phys_fini(void)
{
    if (phys.ram != NULL) {
        munmap(phys.ram, phys.ram_top);
    }
    for (size_t i = 0; i < NUM_CHUNK_SLOTS; i++) {
        if (phys.dev[i].chunk != 0) {
            munmap(phys.dev[i].base, BIT(CHUNK_BITS));
        }
    }
    while (phys.spans != NULL) {
        struct span_map *s = phys.spans;
        phys.spans = s->next;
        munmap(s->base, s->len);
        kfree(s, sizeof(*s));
    }
    if (phys.fd > 0) {
        close(phys.fd);
    }
    kfree(phys.regions, phys.num_regions * sizeof(*phys.regions));
    memset(&phys, 0, sizeof(phys));
}

/* Whether [p, p+len) lies inside one region of the memory map (RAM or device). */
static bool in_memory_map(paddr_t p, word_t len, bool *device)
{
    for (size_t i = 0; i < phys.num_regions; i++) {
        const keel_model_region *r = &phys.regions[i];
        if (p >= r->start && p < r->end && len <= r->end - p) {
            *device = r->device;
            return true;
        }
    }
    return false;
}

bool phys_is_ram(paddr_t p, word_t len)
{
    bool device;
    return in_memory_map(p, len, &device) && !device;
}

static uint8_t *device_chunk(paddr_t chunk)
{
    size_t h = (size_t)((chunk * 0x9e3779b97f4a7c15ull) >> 52) % NUM_CHUNK_SLOTS;
    for (size_t probe = 0; probe < NUM_CHUNK_SLOTS; probe++, h = (h + 1) % NUM_CHUNK_SLOTS) {
        if (phys.dev[h].chunk == chunk + 1) {
            return phys.dev[h].base;
        }
        if (phys.dev[h].chunk == 0) {
            void *base = mmap(NULL, BIT(CHUNK_BITS), PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_NORESERVE, phys.fd, (off_t)(chunk << CHUNK_BITS));
            if (base == MAP_FAILED) {
                model_panic("cannot map device memory at %#llx: %s",
                            (unsigned long long)(chunk << CHUNK_BITS), strerror(errno));
            }
            phys.dev[h].chunk = chunk + 1;
            phys.dev[h].base = base;
            return base;
        }
    }
    model_panic("too many device memory windows (more than %d GiB of device memory touched)",
                NUM_CHUNK_SLOTS);
}

/* A range of device memory crossing a window boundary: one mapping of its own, kept (and
 * reused for any range inside it) until the world shuts down. */
static uint8_t *span_ptr(paddr_t p, word_t len)
{
    for (struct span_map *s = phys.spans; s != NULL; s = s->next) {
        if (p >= s->start && p + len <= s->start + s->len) {
            return s->base + (p - s->start);
        }
    }
    paddr_t start = p & ~(PAGE - 1);
    word_t bytes = ((p + len + PAGE - 1) & ~(PAGE - 1)) - start;
    void *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, phys.fd,
                      (off_t)start);
    if (base == MAP_FAILED) {
        model_panic("cannot map device memory at %#llx (%llu bytes): %s", (unsigned long long)start,
                    (unsigned long long)bytes, strerror(errno));
    }
    struct span_map *s = kzalloc(sizeof(*s));
    *s = (struct span_map){phys.spans, start, bytes, base};
    phys.spans = s;
    return s->base + (p - start);
}

void *phys_ptr(paddr_t p, word_t len)
{
    if (len == 0 || p >= PADDR_TOP || len > PADDR_TOP - p) {
        return NULL;
    }
    if (p + len <= phys.ram_top) {
        return phys.ram + p;
    }
    if (p >> CHUNK_BITS != (p + len - 1) >> CHUNK_BITS) {
        return span_ptr(p, len);
    }
    return device_chunk(p >> CHUNK_BITS) + (p & MASK(CHUNK_BITS));
}

/* Zero [p, p+len): whole pages by punching holes, partial pages (within one window) by memset. */
static void zero_range(paddr_t p, word_t len)
{
    paddr_t first_page = (p + PAGE - 1) & ~(PAGE - 1);
    paddr_t end = p + len;
    paddr_t last_page = end & ~(PAGE - 1);
    if (first_page >= last_page) {
        memset(phys_ptr(p, len), 0, len);
        return;
    }
    if (p < first_page) {
        memset(phys_ptr(p, first_page - p), 0, first_page - p);
    }
    if (fallocate(phys.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)first_page,
                  (off_t)(last_page - first_page)) != 0) {
        model_panic("cannot zero physical memory: %s", strerror(errno));
    }
    if (last_page < end) {
        memset(phys_ptr(last_page, end - last_page), 0, end - last_page);
    }
}

void phys_zero(paddr_t p, word_t len)
{
    ks.counters.bytes_zeroed += len;
    if (len > 0) {
        zero_range(p, len);
    }
}

static bool bytes_are_zero(const uint8_t *b, word_t len)
{
    static const uint8_t zeros[4096];
    while (len > 0) {
        word_t n = len < sizeof(zeros) ? len : sizeof(zeros);
        if (memcmp(b, zeros, n) != 0) {
            return false;
        }
        b += n;
        len -= n;
    }
    return true;
}

bool phys_is_zero(paddr_t p, word_t len)
{
    paddr_t end = p + len;
    while (p < end) {
        off_t data = lseek(phys.fd, (off_t)p, SEEK_DATA);
        if (data < 0 || (paddr_t)data >= end) {
            return true; /* nothing but holes up to the end */
        }
        off_t hole = lseek(phys.fd, data, SEEK_HOLE);
        paddr_t stop = (hole < 0 || (paddr_t)hole > end) ? end : (paddr_t)hole;
        for (paddr_t q = (paddr_t)data; q < stop;) {
            paddr_t window_end = ((q >> CHUNK_BITS) + 1) << CHUNK_BITS;
            word_t n = (stop < window_end ? stop : window_end) - q;
            if (!bytes_are_zero(phys_ptr(q, n), n)) {
                return false;
            }
            q += n;
        }
        p = stop;
    }
    return true;
}

/* ---- Host mappings ----------------------------------------------------------------------------
 */

#define ARENA_BYTES (16ull << 30)

static struct {
    uint8_t *base;
    size_t used;
} arena;

static bool in_arena(word_t va, word_t len)
{
    word_t base = (word_t)(uintptr_t)arena.base;
    return arena.base != NULL && va >= base && len <= ARENA_BYTES && va - base <= ARENA_BYTES - len;
}

static void reserve(void *at, size_t len)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (at != NULL ? MAP_FIXED : 0);
    void *p = mmap(at, len, PROT_NONE, flags, -1, 0);
    if (p == MAP_FAILED) {
        model_panic("cannot reserve %zu bytes of host address space: %s", len, strerror(errno));
    }
    if (at == NULL) {
        arena.base = p;
    }
}

void phys_host_map(word_t va, paddr_t p, word_t len, int prot, bool replace)
{
    bool ours = replace || in_arena(va, len);
    int flags = MAP_SHARED | (ours ? MAP_FIXED : MAP_FIXED_NOREPLACE);
    void *at = (void *)(uintptr_t)va;
    void *r = mmap(at, len, prot, flags, phys.fd, (off_t)p);
    if (r != at) {
        int err = errno;
        if (r != MAP_FAILED) {
            munmap(r, len); /* a kernel that took NOREPLACE as a hint */
        }
        kernel_unlock();
        model_panic("cannot map a frame at host address %#llx (%llu bytes) for the root task's "
                    "VSpace: the host process already uses that address (%s); map at addresses "
                    "from keel_model_host_range()",
                    (unsigned long long)va, (unsigned long long)len,
                    r == MAP_FAILED ? strerror(err) : "the kernel placed it elsewhere");
    }
}

void phys_host_unmap(word_t va, word_t len)
{
    if (in_arena(va, len)) {
        reserve((void *)(uintptr_t)va, len);
    } else {
        munmap((void *)(uintptr_t)va, len);
    }
}

void host_arena_reset(void)
{
    if (arena.base != NULL && arena.used != 0) {
        reserve(arena.base, arena.used);
    }
    arena.used = 0;
}

void *keel_model_host_range(size_t bytes, unsigned align_bits)
{
    kernel_lock();
    if (!ks.booted) {
        kernel_unlock();
        model_panic("keel_model_host_range() needs a booted world (ranges end with it)");
    }
    if (arena.base == NULL) {
        reserve(NULL, ARENA_BYTES);
    }
    if (align_bits < seL4_PageBits) {
        align_bits = seL4_PageBits;
    }
    word_t base = (word_t)(uintptr_t)arena.base;
    word_t start = (base + arena.used + MASK(align_bits)) & ~MASK(align_bits);
    word_t len = (bytes + PAGE - 1) & ~(PAGE - 1);
    if (align_bits > 32 || start - base > ARENA_BYTES || len > ARENA_BYTES - (start - base)) {
        kernel_unlock();
        model_panic("keel_model_host_range(%zu, %u): the model's %llu GiB host arena is used up "
                    "or the alignment is too large",
                    bytes, align_bits, (unsigned long long)(ARENA_BYTES >> 30));
    }
    arena.used = (size_t)(start + len - base);
    kernel_unlock();
    return (void *)(uintptr_t)start;
}

void *keel_model_phys(uint64_t paddr, size_t len)
{
    bool device;
    if (!in_memory_map(paddr, len, &device)) {
        return NULL;
    }
    return phys_ptr(paddr, len);
}

bool keel_model_phys_is_zero(uint64_t paddr, uint64_t len)
{
    kernel_lock();
    bool zero = phys_is_zero(paddr, len);
    kernel_unlock();
    return zero;
}
