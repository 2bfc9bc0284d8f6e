/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Property test: seeded random sequences of Retype, Copy, Mint, Move, Mutate, Rotate, Delete and
 * Revoke (valid and invalid) over four boot untypeds and a window of root-CNode slots, run on
 * the model and on a reference written here from the specification alone.
 *
 * The reference keeps the derivation tree in the abstract form of sel4-semantics §4.5 (explicit
 * parents and ordered children, as l4v's cap_insert/cap_move/cap_swap), while the model keeps
 * the kernel's linked list with revocable/first-badged bits: two independent constructions that
 * must agree. It predicts every call's error and detail words (§5.2, §6.1-§6.3 in order), the
 * effect of every successful call, the bytes each reset zeroes (§5.3) and where objects land
 * (§5.4). After EVERY step the test checks:
 *
 *   - keel_model_check() (the model's own invariants);
 *   - each reference slot against keel_model_cap(): type, region, original, badge, rights,
 *     guard, watermark, device, has_children;
 *   - each reference cap's CDT children, in order, against keel_model_cdt_children();
 *   - live cap counts per type and live object counts per type (objects die only when the
 *     reference says their last cap went);
 *   - bytes zeroed, and that new RAM objects read as zero.
 *
 * Seeds are fixed for CI; KEEL_PROPERTY_SEED=<n> runs one other seed and KEEL_PROPERTY_STEPS=<n>
 * changes the number of steps per seed. Every seed is printed; a failure prints the seed, the
 * step and the last operations.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "conf.h"

#define WINDOW        40 /* root-CNode slots the test creates caps in */
#define NSET          4  /* boot untypeds it starts from */
#define NREF          (WINDOW + NSET)
#define DEFAULT_STEPS 4000
#define LOG_LINES     24

static const uint64_t ci_seeds[] = {1, 2, 3, 0x5eed, 0xdecafbad, 20261125};

/* ---- The reference --------------------------------------------------------------------------- */

struct rcap {
    uint8_t type; /* keel_model_cap_type; NULL = empty */
    uint8_t size_bits;
    uint8_t radix, guard_size;
    uint8_t rights;
    bool device, original;
    uint64_t paddr, badge, guard, wm;
};

/* A node of the derivation tree; the cap it holds lives in slot `ref`. */
struct node {
    struct rcap cap;
    int ref;
    int parent, first, next, prev; /* children in derivation order; roots have no siblings */
};

static struct {
    seL4_BootInfo *bi;
    seL4_CPtr slot[NREF]; /* the CPtr of each reference slot */
    int node_at[NREF];    /* node index or -1 */
    struct node nodes[NREF];
    bool used[NREF];
    size_t base_caps[KEEL_MODEL_CAP_TYPE_COUNT];
    size_t base_objs[seL4_ObjectTypeCount];
    uint64_t rng, seed;
    unsigned long step;
    char log[LOG_LINES][200];
    unsigned long logged;
    uint64_t zero_expected; /* bytes the reference says the model has zeroed */
    unsigned long ok_calls, err_calls;
} R;

static void show_log(void)
{
    print_error("property test: seed %" PRIu64 ", step %lu; last operations:\n", R.seed, R.step);
    unsigned long first = R.logged > LOG_LINES ? R.logged - LOG_LINES : 0;
    for (unsigned long i = first; i < R.logged; i++) {
        print_error("  %s\n", R.log[i % LOG_LINES]);
    }
}

static void prop_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void prop_fail(const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    show_log();
    fail_msg("seed %" PRIu64 " step %lu: %s", R.seed, R.step, msg);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(R.log[R.logged % LOG_LINES], sizeof(R.log[0]), fmt, ap);
    va_end(ap);
    R.logged++;
}

static uint64_t rnd(void)
{
    uint64_t z = (R.rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static bool chance(unsigned percent)
{
    return below(100) < percent;
}

static struct rcap *cap_at(int ref)
{
    return R.node_at[ref] < 0 ? NULL : &R.nodes[R.node_at[ref]].cap;
}

static bool is_type(int ref, keel_model_cap_type t)
{
    const struct rcap *c = cap_at(ref);
    return c != NULL && c->type == t;
}

static int node_new(int ref, struct rcap cap)
{
    for (int i = 0; i < NREF; i++) {
        if (!R.used[i]) {
            R.used[i] = true;
            R.nodes[i] = (struct node){cap, ref, -1, -1, -1, -1};
            R.node_at[ref] = i;
            return i;
        }
    }
    prop_fail("reference out of nodes");
    return -1;
}

static void link_first_child(int p, int n)
{
    struct node *x = &R.nodes[n];
    x->parent = p;
    x->prev = -1;
    x->next = R.nodes[p].first;
    if (x->next >= 0) {
        R.nodes[x->next].prev = n;
    }
    R.nodes[p].first = n;
}

/* n becomes s's next sibling (a root when s is one). */
static void link_after(int s, int n)
{
    struct node *x = &R.nodes[n];
    x->parent = R.nodes[s].parent;
    if (x->parent < 0) {
        x->prev = x->next = -1;
        return;
    }
    x->prev = s;
    x->next = R.nodes[s].next;
    if (x->next >= 0) {
        R.nodes[x->next].prev = n;
    }
    R.nodes[s].next = n;
}

/* ---- Caps as values, from the specification (§1.2, §4.2-§4.5) -------------------------------- */

static unsigned object_bits(seL4_Word type, seL4_Word size_bits)
{
    switch (type) {
    case seL4_UntypedObject:
        return (unsigned)size_bits;
    case seL4_TCBObject:
        return 11;
    case seL4_EndpointObject:
        return 4;
    case seL4_NotificationObject:
        return 5;
    case seL4_CapTableObject:
        return (unsigned)size_bits + 5;
    case seL4_X64_HugePageObject:
        return 30;
    case seL4_X86_LargePageObject:
        return 21;
    default: /* 4K frame, PT, PD, PDPT, PML4 */
        return 12;
    }
}

static keel_model_cap_type cap_type_for(seL4_Word type)
{
    switch (type) {
    case seL4_UntypedObject:
        return KEEL_MODEL_CAP_UNTYPED;
    case seL4_TCBObject:
        return KEEL_MODEL_CAP_TCB;
    case seL4_EndpointObject:
        return KEEL_MODEL_CAP_ENDPOINT;
    case seL4_NotificationObject:
        return KEEL_MODEL_CAP_NOTIFICATION;
    case seL4_CapTableObject:
        return KEEL_MODEL_CAP_CNODE;
    case seL4_X86_PDPTObject:
        return KEEL_MODEL_CAP_PDPT;
    case seL4_X64_PML4Object:
        return KEEL_MODEL_CAP_PML4;
    case seL4_X86_PageTableObject:
        return KEEL_MODEL_CAP_PAGE_TABLE;
    case seL4_X86_PageDirectoryObject:
        return KEEL_MODEL_CAP_PAGE_DIRECTORY;
    default:
        return KEEL_MODEL_CAP_FRAME;
    }
}

static seL4_Word object_type_of(const struct rcap *c)
{
    switch ((keel_model_cap_type)c->type) {
    case KEEL_MODEL_CAP_UNTYPED:
        return seL4_UntypedObject;
    case KEEL_MODEL_CAP_TCB:
        return seL4_TCBObject;
    case KEEL_MODEL_CAP_ENDPOINT:
        return seL4_EndpointObject;
    case KEEL_MODEL_CAP_NOTIFICATION:
        return seL4_NotificationObject;
    case KEEL_MODEL_CAP_CNODE:
        return seL4_CapTableObject;
    case KEEL_MODEL_CAP_PDPT:
        return seL4_X86_PDPTObject;
    case KEEL_MODEL_CAP_PML4:
        return seL4_X64_PML4Object;
    case KEEL_MODEL_CAP_PAGE_TABLE:
        return seL4_X86_PageTableObject;
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
        return seL4_X86_PageDirectoryObject;
    default:
        return c->size_bits == 12   ? seL4_X86_4K
               : c->size_bits == 21 ? seL4_X86_LargePageObject
                                    : seL4_X64_HugePageObject;
    }
}

static bool is_badged_type(const struct rcap *c)
{
    return c->type == KEEL_MODEL_CAP_ENDPOINT || c->type == KEEL_MODEL_CAP_NOTIFICATION;
}

/* sameObjectAs for the caps the test makes: untypeds are never the same object. */
static bool same_object(const struct rcap *a, const struct rcap *b)
{
    if (a->type == KEEL_MODEL_CAP_UNTYPED || a->type != b->type || a->paddr != b->paddr) {
        return false;
    }
    return a->type != KEEL_MODEL_CAP_FRAME ||
           (a->size_bits == b->size_bits && a->device == b->device);
}

/* maskCapRights (§4.2). */
static struct rcap mask_rights(struct rcap c, seL4_Word m)
{
    m &= 0xf;
    if (c.type == KEEL_MODEL_CAP_ENDPOINT) {
        c.rights &= (uint8_t)m;
    } else if (c.type == KEEL_MODEL_CAP_NOTIFICATION) {
        c.rights &= (uint8_t)(m & 3);
    } else if (c.type == KEEL_MODEL_CAP_FRAME) {
        bool read = m & 2, write = m & 1;
        if (!read) {
            c.rights = KEEL_MODEL_VM_KERNEL_ONLY;
        } else if (c.rights == KEEL_MODEL_VM_READ_WRITE && !write) {
            c.rights = KEEL_MODEL_VM_READ_ONLY;
        }
    }
    return c;
}

/* updateCapData (§4.4); false for the null result. */
static bool update_data(bool preserve, seL4_Word data, struct rcap *c)
{
    if (is_badged_type(c)) {
        if (preserve || c->badge != 0) {
            return false;
        }
        c->badge = data;
        return true;
    }
    if (c->type == KEEL_MODEL_CAP_CNODE) {
        unsigned gs = (unsigned)(data & 63);
        if (gs + c->radix > 64) {
            return false;
        }
        c->guard_size = (uint8_t)gs;
        c->guard = gs == 0 ? 0 : (data >> 6) & (gs >= 64 ? ~0ull : (1ull << gs) - 1);
    }
    return true;
}

/* deriveCap (§4.3) for the caps the test makes: the error, or seL4_NoError. */
static seL4_Error derive(int n, struct rcap *c)
{
    switch ((keel_model_cap_type)c->type) {
    case KEEL_MODEL_CAP_UNTYPED:
        return R.nodes[n].first >= 0 ? seL4_RevokeFirst : seL4_NoError;
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
    case KEEL_MODEL_CAP_PML4:
        return seL4_IllegalOperation; /* the test's paging structures are never mapped */
    default:
        return seL4_NoError;
    }
}

/* ---- Reference operations -------------------------------------------------------------------- */

/* Delete the cap of node n: its children take its place under its parent (§4.5). */
static void ref_delete(int n)
{
    struct node *x = &R.nodes[n];
    int p = x->parent;
    int prev = x->prev, next = x->next;
    /* Children, in order, replace n in its parent's list. */
    int c = x->first, last = -1;
    while (c >= 0) {
        int cn = R.nodes[c].next;
        R.nodes[c].parent = p;
        if (p < 0) {
            R.nodes[c].prev = R.nodes[c].next = -1;
        }
        last = c;
        c = cn;
    }
    if (p >= 0) {
        int head = x->first >= 0 ? x->first : next;
        int tail = x->first >= 0 ? last : prev;
        if (prev >= 0) {
            R.nodes[prev].next = head;
        } else {
            R.nodes[p].first = head;
        }
        if (x->first >= 0) {
            R.nodes[x->first].prev = prev;
            R.nodes[last].next = next;
        }
        if (next >= 0) {
            R.nodes[next].prev = tail;
        }
    }
    R.node_at[x->ref] = -1;
    R.used[n] = false;
}

static void ref_revoke(int n)
{
    while (R.nodes[n].first >= 0) {
        ref_delete(R.nodes[n].first);
    }
}

/* ---- Calls and their predicted outcome ------------------------------------------------------- */

struct outcome {
    seL4_Error err;
    unsigned nmr;
    seL4_Word mr[5];
};

static struct outcome ok(void)
{
    return (struct outcome){seL4_NoError, 0, {0}};
}

static struct outcome error(seL4_Error err, unsigned nmr, seL4_Word a, seL4_Word b, seL4_Word c)
{
    return (struct outcome){err, nmr, {a, b, c, 0, 0}};
}

static void expect(const char *what, seL4_Error got, struct outcome want)
{
    if (got != want.err) {
        prop_fail("%s returned %s, the reference says %s", what, conf_error_name(got),
                  conf_error_name(want.err));
    }
    for (unsigned i = 0; i < want.nmr; i++) {
        if (seL4_GetMR((int)i) != want.mr[i]) {
            prop_fail("%s: MR%u = %#lx, the reference says %#lx", what, i, seL4_GetMR((int)i),
                      want.mr[i]);
        }
    }
    if (got == seL4_NoError) {
        R.ok_calls++;
    } else {
        R.err_calls++;
    }
}

/* A reference slot other than `not`, chosen at random, optionally one holding a cap. */
static int any_ref(bool want_cap)
{
    for (int tries = 0; tries < 4; tries++) {
        int r = (int)below(NREF);
        if (!want_cap || cap_at(r) != NULL) {
            return r;
        }
    }
    return (int)below(NREF);
}

static int window_ref(void)
{
    return (int)below(WINDOW);
}

/* A reference slot holding a cap of one of `types` (a bit set), or -1 when there is none. */
static int pick(unsigned types)
{
    int found[NREF], n = 0;
    for (int r = 0; r < NREF; r++) {
        const struct rcap *c = cap_at(r);
        if (c != NULL && (types & (1u << c->type))) {
            found[n++] = r;
        }
    }
    return n == 0 ? -1 : found[below((unsigned)n)];
}

#define ANY_CAP (~1u)

/* Usually a slot holding a cap, sometimes any slot. */
static int occupied_ref(void)
{
    int r = chance(95) ? pick(ANY_CAP) : -1;
    return r >= 0 ? r : any_ref(false);
}

/* A reference slot holding no CNode cap (so that no lookup descends into it). */
static int non_cnode_ref(void)
{
    for (;;) {
        int r = any_ref(false);
        if (!is_type(r, KEEL_MODEL_CAP_CNODE)) {
            return r;
        }
    }
}

/* ---- Retype ---------------------------------------------------------------------------------- */

static void op_retype(void)
{
    /* The invoked cap: usually an untyped; sometimes empty or a cap that rejects the label
     * (endpoints, notifications and intermediate paging structures would need IPC or paging,
     * which are not part 1 of the model, so they are never invoked). */
    unsigned which = below(100);
    int ut = which < 90   ? pick(1u << KEEL_MODEL_CAP_UNTYPED)
             : which < 95 ? pick((1u << KEEL_MODEL_CAP_CNODE) | (1u << KEEL_MODEL_CAP_TCB) |
                                 (1u << KEEL_MODEL_CAP_FRAME) | (1u << KEEL_MODEL_CAP_PML4))
                          : window_ref();
    if (ut < 0 || (cap_at(ut) != NULL && !is_type(ut, KEEL_MODEL_CAP_UNTYPED) && which < 90)) {
        return;
    }
    if (cap_at(ut) != NULL &&
        (is_type(ut, KEEL_MODEL_CAP_ENDPOINT) || is_type(ut, KEEL_MODEL_CAP_NOTIFICATION) ||
         is_type(ut, KEEL_MODEL_CAP_PAGE_TABLE) || is_type(ut, KEEL_MODEL_CAP_PAGE_DIRECTORY) ||
         is_type(ut, KEEL_MODEL_CAP_PDPT))) {
        return;
    }
    seL4_Word type = chance(30)   ? seL4_EndpointObject + below(2) /* badges need these */
                     : chance(92) ? below(seL4_ObjectTypeCount)
                     : chance(50) ? seL4_ObjectTypeCount + below(3)
                                  : (seL4_Word)rnd();
    seL4_Word size_bits;
    if (type == seL4_UntypedObject) {
        size_bits = chance(95) ? 2 + below(15) : 47 + below(20);
    } else if (type == seL4_CapTableObject) {
        size_bits = chance(95) ? below(7) : 42 + below(3);
    } else {
        size_bits = chance(90) ? 0 : chance(80) ? below(64) : 64 + below(3);
    }
    seL4_Word n = chance(90) ? 1 + below(4) : chance(50) ? 0 : 250 + below(10);
    seL4_CPtr root = CONF_ROOT;
    seL4_Word node_index = 0, node_depth = 0;
    int root_ref = -1, dest_ref = -1;
    unsigned v = below(100);
    if (v < 4) {
        root_ref = non_cnode_ref(); /* depth 0: that cap is the destination */
        root = R.slot[root_ref];
    } else if (v < 8) {
        dest_ref = non_cnode_ref(); /* depth 64 from the root CNode: the slot's cap */
        node_index = R.slot[dest_ref];
        node_depth = 64;
    } else if (v < 10) {
        node_index = CONF_ROOT; /* depth 64 names the root CNode's own slot */
        node_depth = 64;
    } else if (v < 12) {
        node_index = CONF_ROOT;
        node_depth = 65 + below(100);
    } else if (v < 14) {
        root_ref = non_cnode_ref(); /* a lookup whose root is not a CNode */
        root = R.slot[root_ref];
        node_depth = 64;
    }
    int at = window_ref();
    for (int tries = 0; tries < 8 && chance(70) && cap_at(at) != NULL; tries++) {
        at = window_ref(); /* mostly somewhere free */
    }
    seL4_Word offset = chance(95) ? R.slot[at] : chance(50) ? 4095 : 4096 + below(9);
    if (offset == 4095 && n == 1 && chance(50)) {
        n = 2;
    }

    /* Predict (§5.2, in order). */
    struct outcome want = ok();
    const struct rcap *u = cap_at(ut);
    unsigned obits = 0;
    seL4_Word from = 0, free_bytes = 0;
    bool reset = false;
    if (u == NULL) {
        want = error(seL4_InvalidCapability, 1, 0, 0, 0);
    } else if (u->type != KEEL_MODEL_CAP_UNTYPED) {
        want = error(seL4_IllegalOperation, 0, 0, 0, 0);
    } else if (type >= seL4_ObjectTypeCount) {
        want = error(seL4_InvalidArgument, 1, 0, 0, 0);
    } else if (size_bits >= 64 || object_bits(type, size_bits) > 47) {
        want = error(seL4_RangeError, 2, 0, 47, 0);
    } else if (type == seL4_CapTableObject && size_bits == 0) {
        want = error(seL4_InvalidArgument, 1, 1, 0, 0);
    } else if (type == seL4_UntypedObject && size_bits < 4) {
        want = error(seL4_InvalidArgument, 1, 1, 0, 0);
    } else if (node_depth > 64) {
        want = error(seL4_RangeError, 2, 1, 64, 0);
    } else if (node_depth != 0 && root_ref >= 0) {
        want = error(seL4_FailedLookup, 2, 0, seL4_InvalidRoot, 0);
    } else if ((root_ref >= 0 && !is_type(root_ref, KEEL_MODEL_CAP_CNODE)) ||
               (dest_ref >= 0 && !is_type(dest_ref, KEEL_MODEL_CAP_CNODE))) {
        want = error(seL4_FailedLookup, 3, 0, seL4_MissingCapability, node_depth);
    } else if (offset > 4095) {
        want = error(seL4_RangeError, 2, 0, 4095, 0);
    } else if (n < 1 || n > 256) {
        want = error(seL4_RangeError, 2, 1, 256, 0);
    } else if (n > 4096 - offset) {
        want = error(seL4_RangeError, 2, 1, 4096 - offset, 0);
    } else {
        bool occupied = false;
        for (seL4_Word s = offset; s < offset + n; s++) {
            /* Outside the window every slot the test can name is occupied (fences). */
            seL4_Word w = s - R.slot[0];
            occupied |= w >= WINDOW || cap_at((int)w) != NULL;
        }
        obits = object_bits(type, size_bits);
        reset = R.nodes[R.node_at[ut]].first < 0;
        from = reset ? 0 : u->wm;
        free_bytes = (1ull << u->size_bits) - from;
        if (occupied) {
            want = error(seL4_DeleteFirst, 0, 0, 0, 0);
        } else if ((free_bytes >> obits) < n) {
            want = error(seL4_NotEnoughMemory, 1, free_bytes, 0, 0);
        } else if (u->device && type != seL4_UntypedObject && type != seL4_X86_4K &&
                   type != seL4_X86_LargePageObject && type != seL4_X64_HugePageObject) {
            want = error(seL4_InvalidArgument, 1, 1, 0, 0);
        }
    }
    note("retype(%lu, type %lu, bits %lu, root %lu, index %lu, depth %lu, off %lu, n %lu) -> %s",
         R.slot[ut], type, size_bits, root, node_index, node_depth, offset, n,
         conf_error_name(want.err));
    seL4_Error err =
        seL4_Untyped_Retype(R.slot[ut], type, size_bits, root, node_index, node_depth, offset, n);
    expect("retype", err, want);
    if (err != seL4_NoError) {
        return;
    }

    /* Perform in the reference (§5.3-§5.5). */
    struct rcap *uc = cap_at(ut);
    if (reset && uc->wm != 0 && !uc->device) {
        R.zero_expected += uc->size_bits < 8 ? 1ull << uc->size_bits : (uc->wm + 255) & ~255ull;
    }
    seL4_Word start = (uc->paddr + from + (1ull << obits) - 1) & ~((1ull << obits) - 1);
    uc->wm = start + (n << obits) - uc->paddr;
    for (seL4_Word i = 0; i < n; i++) {
        struct rcap c = {0};
        c.type = (uint8_t)cap_type_for(type);
        c.paddr = start + (i << obits);
        c.size_bits = (uint8_t)obits;
        c.original = true;
        c.device = uc->device && (type == seL4_UntypedObject || c.type == KEEL_MODEL_CAP_FRAME);
        if (c.type == KEEL_MODEL_CAP_ENDPOINT) {
            c.rights = 0xf;
        } else if (c.type == KEEL_MODEL_CAP_NOTIFICATION) {
            c.rights = 0x3;
        } else if (c.type == KEEL_MODEL_CAP_FRAME) {
            c.rights = KEEL_MODEL_VM_READ_WRITE;
        } else if (c.type == KEEL_MODEL_CAP_CNODE) {
            c.radix = (uint8_t)size_bits;
        }
        int node = node_new((int)(offset + i - R.slot[0]), c);
        link_first_child(R.node_at[ut], node);
    }
    if (!uc->device && !keel_model_phys_is_zero(start, n << obits)) {
        prop_fail("new objects at %#lx are not zero", start);
    }
}

/* ---- Copy, Mint, Move, Mutate ---------------------------------------------------------------- */

static seL4_Word random_data(void)
{
    switch (below(5)) {
    case 0:
        return 0;
    case 1:
    case 4: /* few distinct badges, so that equal badges meet */
        return 1 + below(2);
    case 2: /* a CNode guard: size up to 63, so sometimes too big */
        return seL4_CNode_CapData_new(rnd(), below(64)).words[0];
    default:
        return rnd();
    }
}

static void op_copy_family(void)
{
    static const seL4_Word labels[] = {CNodeCopy, CNodeMint, CNodeMove, CNodeMutate};
    seL4_Word label = labels[below(4)];
    int dest = chance(90) ? window_ref() : any_ref(false);
    int src = occupied_ref();
    seL4_Word rights = chance(50) ? 0xf : rnd() & (chance(90) ? 0xf : ~0ull);
    seL4_Word data = random_data();
    seL4_CPtr src_root = CONF_ROOT;
    seL4_Word src_depth = 64;
    int root_ref = -1;
    unsigned v = below(100);
    if (v < 3) {
        src_depth = chance(50) ? 0 : 65 + below(100);
    } else if (v < 6) {
        root_ref = non_cnode_ref();
        src_root = R.slot[root_ref];
    }

    /* Predict (§6.1). */
    struct outcome want = ok();
    struct rcap newcap = {0};
    int sn = R.node_at[src];
    if (cap_at(dest) != NULL) {
        want = error(seL4_DeleteFirst, 0, 0, 0, 0);
    } else if (root_ref >= 0) {
        want = error(seL4_FailedLookup, 2, 1, seL4_InvalidRoot, 0);
    } else if (src_depth < 1 || src_depth > 64) {
        want = error(seL4_RangeError, 2, 1, 64, 0);
    } else if (sn < 0) {
        want = error(seL4_FailedLookup, 3, 1, seL4_MissingCapability, 64);
    } else {
        newcap = R.nodes[sn].cap;
        seL4_Error derr = seL4_NoError;
        bool null = false;
        if (label == CNodeCopy || label == CNodeMint) {
            newcap = mask_rights(newcap, rights);
            if (label == CNodeMint) {
                null = !update_data(false, data, &newcap);
            }
            if (!null) {
                derr = derive(sn, &newcap);
            }
        } else if (label == CNodeMutate) {
            null = !update_data(true, data, &newcap);
        }
        if (derr != seL4_NoError) {
            want = error(derr, 0, 0, 0, 0);
        } else if (null) {
            want = error(seL4_IllegalOperation, 0, 0, 0, 0);
        }
    }
    static const char *const names[] = {"copy", "mint", "move", "mutate"};
    const char *name = names[label - CNodeCopy];
    note("%s(%lu <- %lu, root %lu depth %lu, rights %#lx, data %#lx) -> %s", name, R.slot[dest],
         R.slot[src], src_root, src_depth, rights, data, conf_error_name(want.err));
    seL4_Error err;
    switch (label) {
    case CNodeCopy:
        err = seL4_CNode_Copy(CONF_ROOT, R.slot[dest], 64, src_root, R.slot[src],
                              (seL4_Uint8)src_depth, (seL4_CapRights_t){{rights}});
        break;
    case CNodeMint:
        err = seL4_CNode_Mint(CONF_ROOT, R.slot[dest], 64, src_root, R.slot[src],
                              (seL4_Uint8)src_depth, (seL4_CapRights_t){{rights}}, data);
        break;
    case CNodeMove:
        err = seL4_CNode_Move(CONF_ROOT, R.slot[dest], 64, src_root, R.slot[src],
                              (seL4_Uint8)src_depth);
        break;
    default:
        err = seL4_CNode_Mutate(CONF_ROOT, R.slot[dest], 64, src_root, R.slot[src],
                                (seL4_Uint8)src_depth, data);
        break;
    }
    /* A depth above 255 cannot be expressed by the stub (seL4_Uint8): it wrapped. */
    if (src_depth > 255) {
        prop_fail("bad test: depth %lu", src_depth);
    }
    expect(name, err, want);
    if (err != seL4_NoError) {
        return;
    }
    if (label == CNodeMove || label == CNodeMutate) {
        /* The node keeps its place in the tree; only its slot (and for Mutate, data) change. */
        R.nodes[sn].cap = newcap;
        R.nodes[sn].ref = dest;
        R.node_at[dest] = sn;
        R.node_at[src] = -1;
        return;
    }
    struct rcap *s = &R.nodes[sn].cap;
    newcap.original = (is_badged_type(&newcap) && newcap.badge != s->badge) ||
                      newcap.type == KEEL_MODEL_CAP_UNTYPED;
    if (s->type == KEEL_MODEL_CAP_UNTYPED) {
        s->wm = 1ull << s->size_bits; /* setUntypedCapAsFull */
    }
    /* Parent test (§4.5): the source, if original, parents the copy, except that a badged
     * source parents only unoriginal copies with its badge. */
    bool child = s->original && (!is_badged_type(s) || s->badge == 0 ||
                                 (newcap.badge == s->badge && !newcap.original));
    int node = node_new(dest, newcap);
    if (child) {
        link_first_child(sn, node);
    } else {
        link_after(sn, node);
    }
}

/* ---- Rotate ---------------------------------------------------------------------------------- */

static void op_rotate(void)
{
    int src = occupied_ref();
    int pivot = occupied_ref();
    int dest = chance(25) ? src : chance(85) ? window_ref() : any_ref(false);
    seL4_Word dest_badge = random_data(), pivot_badge = random_data();
    struct outcome want = ok();
    struct rcap new_src = {0}, new_pivot = {0};
    if (pivot == src || pivot == dest) {
        want = error(seL4_IllegalOperation, 0, 0, 0, 0);
    } else if (src != dest && cap_at(dest) != NULL) {
        want = error(seL4_DeleteFirst, 0, 0, 0, 0);
    } else if (cap_at(src) == NULL) {
        want = error(seL4_FailedLookup, 3, 1, seL4_MissingCapability, 64);
    } else if (cap_at(pivot) == NULL) {
        want = error(seL4_FailedLookup, 3, 0, seL4_MissingCapability, 64);
    } else {
        new_src = *cap_at(src);
        new_pivot = *cap_at(pivot);
        if (!update_data(true, pivot_badge, &new_src) ||
            !update_data(true, dest_badge, &new_pivot)) {
            want = error(seL4_IllegalOperation, 0, 0, 0, 0);
        }
    }
    note("rotate(dest %lu badge %#lx, pivot %lu badge %#lx, src %lu) -> %s", R.slot[dest],
         dest_badge, R.slot[pivot], pivot_badge, R.slot[src], conf_error_name(want.err));
    seL4_Error err = conf_rotate(R.slot[dest], dest_badge, R.slot[pivot], pivot_badge, R.slot[src]);
    expect("rotate", err, want);
    if (err != seL4_NoError) {
        return;
    }
    int sn = R.node_at[src], pn = R.node_at[pivot];
    R.nodes[sn].cap = new_src;
    R.nodes[pn].cap = new_pivot;
    R.nodes[sn].ref = pivot;
    R.nodes[pn].ref = dest;
    R.node_at[src] = -1;
    R.node_at[pivot] = sn;
    R.node_at[dest] = pn;
}

/* ---- Delete, Revoke, writes ------------------------------------------------------------------ */

static void op_delete(void)
{
    /* Rarely a boot untyped: once gone, it is gone for the rest of the world. */
    int r = chance(3) ? NREF - 1 - (int)below(NSET) : chance(90) ? occupied_ref() : any_ref(false);
    if (is_type(r, KEEL_MODEL_CAP_UNTYPED) && R.nodes[R.node_at[r]].parent < 0 && chance(90)) {
        return; /* wherever it was moved to */
    }
    note("delete(%lu)", R.slot[r]);
    expect("delete", conf_delete(R.slot[r]), ok());
    if (R.node_at[r] >= 0) {
        ref_delete(R.node_at[r]);
    }
}

static void op_revoke(void)
{
    /* Often one of the boot untypeds, which reclaims memory. */
    int r = chance(30) ? NREF - 1 - (int)below(NSET) : occupied_ref();
    note("revoke(%lu)", R.slot[r]);
    expect("revoke", conf_revoke(R.slot[r]), ok());
    if (R.node_at[r] >= 0) {
        ref_revoke(R.node_at[r]);
    }
}

static void op_write(void)
{
    /* Scribble on a frame (RAM or device): memory below a watermark may hold anything. */
    int r = pick(1u << KEEL_MODEL_CAP_FRAME);
    if (r < 0) {
        return;
    }
    const struct rcap *c = cap_at(r);
    if (c == NULL) {
        return;
    }
    uint64_t off = rnd() & ((1ull << c->size_bits) - 64);
    uint8_t *p = keel_model_phys(c->paddr + off, 64);
    if (p == NULL) {
        prop_fail("frame at %#lx has no memory", c->paddr);
    }
    note("write 64 bytes at %#lx", c->paddr + off);
    for (int i = 0; i < 64; i++) {
        p[i] = (uint8_t)(rnd() | 1);
    }
}

/* ---- Checking the model against the reference ------------------------------------------------ */

static void verify(void)
{
    char msg[512];
    if (keel_model_check(msg, sizeof(msg)) != 0) {
        prop_fail("keel_model_check: %s", msg);
    }
    size_t caps[KEEL_MODEL_CAP_TYPE_COUNT] = {0};
    size_t objs[seL4_ObjectTypeCount] = {0};
    for (int r = 0; r < NREF; r++) {
        keel_model_cap_info m = conf_cap(R.slot[r]);
        const struct rcap *c = cap_at(r);
        uint8_t type = c == NULL ? KEEL_MODEL_CAP_NULL : c->type;
        if (m.type != type) {
            prop_fail("slot %lu holds a %s cap, the reference says %s", R.slot[r],
                      keel_model_cap_type_name(m.type), keel_model_cap_type_name(type));
        }
        if (c == NULL) {
            continue;
        }
        int n = R.node_at[r];
        caps[c->type]++;
        seL4_Word ot = object_type_of(c);
        bool counted = false;
        for (int o = 0; o < NREF && ot != seL4_UntypedObject; o++) {
            if (R.used[o] && o != n && R.nodes[o].ref < r && same_object(&R.nodes[o].cap, c)) {
                counted = true; /* the same object, in an earlier slot */
            }
        }
        if (!counted) {
            objs[ot]++;
        }
        bool same = m.paddr == c->paddr && m.size_bits == c->size_bits &&
                    m.original == c->original && m.has_children == (R.nodes[n].first >= 0);
        switch ((keel_model_cap_type)c->type) {
        case KEEL_MODEL_CAP_ENDPOINT:
        case KEEL_MODEL_CAP_NOTIFICATION:
            same = same && m.badge == c->badge && m.rights == c->rights;
            break;
        case KEEL_MODEL_CAP_FRAME:
            same = same && m.rights == c->rights && m.device == c->device && !m.mapped;
            break;
        case KEEL_MODEL_CAP_UNTYPED:
            same = same && m.watermark == c->wm && m.device == c->device;
            break;
        case KEEL_MODEL_CAP_CNODE:
            same =
                same && m.radix == c->radix && m.guard_size == c->guard_size && m.guard == c->guard;
            break;
        default:
            break;
        }
        if (!same) {
            prop_fail("slot %lu (%s): model paddr %#lx bits %u original %d children %d badge %#lx "
                      "rights %lu wm %#lx guard %u/%#lx; reference paddr %#lx bits %u original "
                      "%d children %d badge %#lx rights %u wm %#lx guard %u/%#lx",
                      R.slot[r], keel_model_cap_type_name(m.type), m.paddr, m.size_bits, m.original,
                      m.has_children, m.badge, m.rights, m.watermark, m.guard_size, m.guard,
                      c->paddr, c->size_bits, c->original, R.nodes[n].first >= 0, c->badge,
                      c->rights, c->wm, c->guard_size, c->guard);
        }
        /* Children, in derivation order. */
        if (R.nodes[n].first >= 0 || m.has_children) {
            seL4_CPtr got[NREF + 1];
            size_t k = conf_children(R.slot[r], false, got, NREF + 1);
            size_t i = 0;
            for (int ch = R.nodes[n].first; ch >= 0; ch = R.nodes[ch].next, i++) {
                if (i >= k || got[i] != R.slot[R.nodes[ch].ref]) {
                    prop_fail("children of %lu: child %zu is %lu in the model, %lu in the "
                              "reference (%zu children in the model)",
                              R.slot[r], i, i < k ? got[i] : 0, R.slot[R.nodes[ch].ref], k);
                }
            }
            if (i != k) {
                prop_fail("children of %lu: %zu in the model, %zu in the reference", R.slot[r], k,
                          i);
            }
        }
    }
    for (size_t t = 1; t < KEEL_MODEL_CAP_TYPE_COUNT; t++) {
        if (keel_model_cap_count((keel_model_cap_type)t) != R.base_caps[t] + caps[t]) {
            prop_fail("%zu live %s caps, the reference says %zu",
                      keel_model_cap_count((keel_model_cap_type)t),
                      keel_model_cap_type_name((keel_model_cap_type)t), R.base_caps[t] + caps[t]);
        }
    }
    for (seL4_Word t = 0; t < seL4_ObjectTypeCount; t++) {
        if (keel_model_object_count(t) != R.base_objs[t] + objs[t]) {
            prop_fail("%zu live objects of type %lu, the reference says %zu",
                      keel_model_object_count(t), t, R.base_objs[t] + objs[t]);
        }
    }
    if (conf_bytes_zeroed() != R.zero_expected) {
        prop_fail("%" PRIu64 " bytes zeroed, the reference says %" PRIu64, conf_bytes_zeroed(),
                  R.zero_expected);
    }
}

/* ---- Driving it ------------------------------------------------------------------------------ */

static const uint64_t set_paddrs[NSET] = {0x1ffcb000ul, 0x1ffcc000ul, 0x1ffd0000ul, 0xfec01000ul};

static void start_world(uint64_t seed)
{
    memset(&R, 0, sizeof(R));
    R.seed = seed;
    R.rng = seed;
    R.bi = model_test_boot(NULL);
    for (int i = 0; i < NREF; i++) {
        R.node_at[i] = -1;
        R.slot[i] = i < WINDOW ? R.bi->empty.start + (seL4_Word)i
                               : conf_untyped_at(R.bi, set_paddrs[i - WINDOW]);
    }
    /* Fences: every slot the test can name outside the window holds a cap. */
    EXPECT_OK(conf_move(R.bi->empty.start + WINDOW, seL4_CapDomain));
    EXPECT_OK(conf_move(4095, seL4_CapIOPortControl));
    for (int i = WINDOW; i < NREF; i++) {
        keel_model_cap_info m = conf_cap(R.slot[i]);
        struct rcap c = {.type = KEEL_MODEL_CAP_UNTYPED,
                         .size_bits = (uint8_t)m.size_bits,
                         .device = m.device,
                         .original = true,
                         .paddr = m.paddr,
                         .wm = m.watermark};
        node_new(i, c);
    }
    for (size_t t = 0; t < KEEL_MODEL_CAP_TYPE_COUNT; t++) {
        R.base_caps[t] = keel_model_cap_count((keel_model_cap_type)t);
    }
    R.base_caps[KEEL_MODEL_CAP_UNTYPED] -= NSET;
    for (seL4_Word t = 0; t < seL4_ObjectTypeCount; t++) {
        R.base_objs[t] = keel_model_object_count(t);
    }
    R.base_objs[seL4_UntypedObject] -= NSET;
    R.zero_expected = conf_bytes_zeroed();
    verify();
}

static void run_seed(uint64_t seed, unsigned long steps)
{
    start_world(seed);
    unsigned long worlds = 1;
    for (R.step = 1; R.step <= steps; R.step++) {
        if (pick(1u << KEEL_MODEL_CAP_UNTYPED) < 0) {
            /* Every untyped is gone: start a fresh world, continuing the random stream. */
            struct {
                uint64_t rng;
                unsigned long step, ok, err;
            } keep = {R.rng, R.step, R.ok_calls, R.err_calls};
            keel_model_shutdown();
            start_world(seed);
            R.rng = keep.rng;
            R.step = keep.step;
            R.ok_calls = keep.ok;
            R.err_calls = keep.err;
            worlds++;
        }
        unsigned op = below(100);
        if (op < 34) {
            op_retype();
        } else if (op < 58) {
            op_copy_family();
        } else if (op < 68) {
            op_rotate();
        } else if (op < 82) {
            op_delete();
        } else if (op < 95) {
            op_revoke();
        } else {
            op_write();
        }
        verify();
    }
    print_message("seed %" PRIu64 ": %lu steps in %lu worlds, %lu calls succeeded, %lu failed "
                  "as predicted\n",
                  seed, steps, worlds, R.ok_calls, R.err_calls);
    /* Both kinds of outcome must have been exercised in earnest. */
    assert_true(R.ok_calls > steps / 5);
    assert_true(R.err_calls > steps / 5);
    keel_model_shutdown();
}

static unsigned long env_ulong(const char *name, unsigned long dflt)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? strtoul(v, NULL, 0) : dflt;
}

static void random_sequences_match_the_reference(void **state)
{
    (void)state;
    unsigned long steps = env_ulong("KEEL_PROPERTY_STEPS", DEFAULT_STEPS);
    const char *seed = getenv("KEEL_PROPERTY_SEED");
    if (seed != NULL && *seed != '\0') {
        run_seed(strtoull(seed, NULL, 0), steps);
        return;
    }
    for (size_t i = 0; i < CONF_ARRAY_LEN(ci_seeds); i++) {
        run_seed(ci_seeds[i], steps);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_sequences_match_the_reference),
    };
    return cmocka_run_group_tests_name("model.property", tests, NULL, NULL);
}
