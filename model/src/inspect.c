/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The model's own view of a world, for tests: caps and their CDT relations, live counts, the
 * kernel invariants (keel_model_check) and leak checks. None of this exists on seL4; all of it
 * reads the world under the kernel lock and changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

static const char *const cap_type_names[KEEL_MODEL_CAP_TYPE_COUNT] = {
    "null",   "untyped",      "endpoint",   "notification",    "cnode",
    "tcb",    "reply",        "zombie",     "irq_control",     "irq_handler",
    "domain", "frame",        "page_table", "page_directory",  "pdpt",
    "pml4",   "asid_control", "asid_pool",  "io_port_control", "io_port",
};

const char *keel_model_cap_type_name(keel_model_cap_type type)
{
    return (unsigned)type < KEEL_MODEL_CAP_TYPE_COUNT ? cap_type_names[type] : "invalid";
}

static void describe(const struct cte *slot, keel_model_cap_info *out)
{
    struct cap c = slot->cap;
    memset(out, 0, sizeof(*out));
    out->type = (keel_model_cap_type)c.type;
    if (cap_is_null(c)) {
        return;
    }
    out->original = (c.mdb & MDB_REVOCABLE) != 0;
    out->has_children = cte_has_children(slot);
    paddr_t base;
    unsigned bits;
    if (cap_region(c, &base, &bits)) {
        out->paddr = base;
        out->size_bits = bits;
    }
    out->device = (c.flags & CAPF_DEVICE) != 0;
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
    case KEEL_MODEL_CAP_NOTIFICATION:
        out->badge = c.word;
        out->rights = c.rights;
        break;
    case KEEL_MODEL_CAP_REPLY:
        out->rights = c.rights;
        break;
    case KEEL_MODEL_CAP_CNODE:
        out->radix = c.size_bits;
        out->guard_size = c.guard_size;
        out->guard = c.word;
        break;
    case KEEL_MODEL_CAP_UNTYPED:
        out->watermark = c.word << seL4_MinUntypedBits;
        break;
    case KEEL_MODEL_CAP_FRAME:
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
        if (c.type == KEEL_MODEL_CAP_FRAME) {
            out->rights = c.rights;
        }
        out->mapped = (c.flags & CAPF_MAPPED) != 0;
        out->vaddr = out->mapped ? c.word : 0;
        out->asid = out->mapped ? c.asid : 0;
        break;
    case KEEL_MODEL_CAP_PML4:
        out->mapped = c.asid != 0;
        out->asid = c.asid;
        break;
    default:
        break;
    }
}

static struct tcb *inspecting_thread(void)
{
    if (!ks.booted || host_self == NULL) {
        kernel_unlock();
        model_panic("the model API was called from a host thread that is not an seL4 thread of "
                    "a booted world");
    }
    return host_self;
}

int keel_model_cap(seL4_CPtr cptr, keel_model_cap_info *out)
{
    kernel_lock();
    struct cte *slot;
    struct lookup_fault lf;
    int rc = -1;
    if (lookup_slot(inspecting_thread(), cptr, &slot, &lf)) {
        describe(slot, out);
        rc = 0;
    }
    kernel_unlock();
    return rc;
}

int keel_model_cap_at(seL4_CNode root, seL4_Word index, seL4_Word depth, keel_model_cap_info *out)
{
    kernel_lock();
    struct cte *root_slot, *slot;
    struct lookup_fault lf;
    struct kerr e;
    int rc = -1;
    if (lookup_slot(inspecting_thread(), root, &root_slot, &lf) &&
        lookup_slot_for_cnode_op(false, root_slot->cap, index, depth, &slot, &e) == seL4_NoError) {
        describe(slot, out);
        rc = 0;
    }
    kernel_unlock();
    return rc;
}

/* ---- Where a slot is ------------------------------------------------------------------------- */

static bool slot_in(const struct cte *slot, const struct cte *slots, size_t n, word_t *index)
{
    if (slot >= slots && slot < slots + n) {
        *index = (word_t)(slot - slots);
        return true;
    }
    return false;
}

/* Search the CSpace below `node` for the CPtr that resolves (at depth 64) to `target`. */
static bool cptr_search(struct cap node, word_t prefix, unsigned used, const struct cte *target,
                        word_t *cptr, size_t *budget)
{
    unsigned level = node.guard_size + node.size_bits;
    if (level == 0 || used + level > seL4_WordBits) {
        return false;
    }
    struct cnode *cn = (struct cnode *)node.obj;
    word_t guarded = node.guard_size == 0 ? prefix : (prefix << node.guard_size) | node.word;
    unsigned total = used + level;
    word_t index;
    if (slot_in(target, cn->slots, BIT(cn->radix), &index) &&
        (total == seL4_WordBits || target->cap.type != KEEL_MODEL_CAP_CNODE)) {
        word_t path = (guarded << node.size_bits) | index;
        *cptr = total == seL4_WordBits ? path : path << (seL4_WordBits - total);
        return true;
    }
    if (total == seL4_WordBits) {
        return false;
    }
    for (word_t i = 0; i < BIT(cn->radix); i++) {
        if (*budget == 0) {
            return false;
        }
        (*budget)--;
        struct cap c = cn->slots[i].cap;
        if (c.type == KEEL_MODEL_CAP_CNODE &&
            cptr_search(c, (guarded << node.size_bits) | i, total, target, cptr, budget)) {
            return true;
        }
    }
    return false;
}

static keel_model_slot locate(const struct cte *slot)
{
    keel_model_slot where = {0};
    for (struct kobj *o = ks.objects[seL4_CapTableObject]; o != NULL; o = o->next) {
        struct cnode *cn = (struct cnode *)o;
        if (slot_in(slot, cn->slots, BIT(cn->radix), &where.index)) {
            where.container = o->paddr;
            break;
        }
    }
    for (struct kobj *o = ks.objects[seL4_TCBObject]; o != NULL && where.container == 0;
         o = o->next) {
        struct tcb *t = (struct tcb *)o;
        if (slot_in(slot, t->slots, TCB_NUM_SLOTS, &where.index)) {
            where.container = o->paddr;
            where.in_tcb = true;
        }
    }
    size_t budget = 1u << 22;
    if (!where.in_tcb) {
        (void)cptr_search(host_self->slots[TCB_CTABLE].cap, 0, 0, slot, &where.cptr, &budget);
    }
    return where;
}

size_t keel_model_cdt_children(seL4_CPtr parent, bool descendants, keel_model_slot *out, size_t max)
{
    kernel_lock();
    struct cte *slot;
    struct lookup_fault lf;
    size_t n = 0;
    if (lookup_slot(inspecting_thread(), parent, &slot, &lf) && !cap_is_null(slot->cap)) {
        /* Descendants are the run after `slot`; a direct child is one whose nearest
         * ancestor in that run is `slot` itself (a stack of open ancestors). */
        enum { MAX_NEST = 4096 };
        static const struct cte *stack[MAX_NEST];
        size_t depth = 0;
        for (struct cte *d = slot->next; d != NULL && mdb_is_parent_of(slot, d); d = d->next) {
            while (depth > 0 && !mdb_is_parent_of(stack[depth - 1], d)) {
                depth--;
            }
            bool direct = depth == 0;
            if (depth < MAX_NEST) {
                stack[depth++] = d;
            }
            if (descendants || direct) {
                if (n < max) {
                    out[n] = locate(d);
                }
                n++;
            }
        }
    }
    kernel_unlock();
    return n;
}

size_t keel_model_cap_count(keel_model_cap_type type)
{
    kernel_lock();
    size_t n = (unsigned)type < KEEL_MODEL_CAP_TYPE_COUNT ? ks.cap_count[type] : 0;
    kernel_unlock();
    return n;
}

static size_t object_count_locked(seL4_Word type)
{
    if (type == seL4_UntypedObject) {
        return ks.cap_count[KEEL_MODEL_CAP_UNTYPED];
    }
    return type < seL4_ObjectTypeCount ? ks.obj_count[type] : 0;
}

size_t keel_model_object_count(seL4_Word object_type)
{
    kernel_lock();
    size_t n = object_count_locked(object_type);
    kernel_unlock();
    return n;
}

/* ---- Snapshots and leaks ----------------------------------------------------------------------
 */

static void snapshot_locked(keel_model_snapshot *snap)
{
    memset(snap, 0, sizeof(*snap));
    memcpy(snap->caps, ks.cap_count, sizeof(snap->caps));
    for (seL4_Word t = 0; t < seL4_ObjectTypeCount; t++) {
        snap->objects[t] = object_count_locked(t);
    }
    snap->asid_pools = ks.obj_count[OBJ_ASID_POOL];
}

void keel_model_snapshot_take(keel_model_snapshot *snap)
{
    kernel_lock();
    snapshot_locked(snap);
    kernel_unlock();
}

static const char *const object_type_names[seL4_ObjectTypeCount] = {
    "untyped", "tcb",      "endpoint", "notification", "cnode",      "pdpt",
    "pml4",    "1G frame", "4K frame", "2M frame",     "page table", "page directory",
};

/* Registered object kinds: the seL4 object types, and ASID pools. */
static const char *kind_name(size_t kind)
{
    return kind < seL4_ObjectTypeCount ? object_type_names[kind] : "ASID pool";
}

struct msgbuf {
    char *buf;
    size_t len, used;
};

static void say(struct msgbuf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct msgbuf *m, const char *fmt, ...)
{
    if (m->buf == NULL || m->len == 0 || m->used + 1 >= m->len) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m->buf + m->used, m->len - m->used, fmt, ap);
    va_end(ap);
    if (n > 0) {
        m->used += (size_t)n;
        if (m->used >= m->len) {
            m->used = m->len - 1;
        }
    }
}

int keel_model_leak_check(const keel_model_snapshot *before, char *msg, size_t msg_len)
{
    keel_model_snapshot now;
    keel_model_snapshot_take(&now);
    struct msgbuf m = {msg, msg_len, 0};
    if (msg != NULL && msg_len > 0) {
        msg[0] = '\0';
    }
    int rc = 0;
    for (size_t t = 0; t < KEEL_MODEL_CAP_TYPE_COUNT; t++) {
        if (now.caps[t] != before->caps[t]) {
            say(&m, "%s caps: %zu before, %zu now; ", cap_type_names[t], before->caps[t],
                now.caps[t]);
            rc = -1;
        }
    }
    for (size_t t = 0; t < seL4_ObjectTypeCount; t++) {
        if (now.objects[t] != before->objects[t]) {
            say(&m, "%s objects: %zu before, %zu now; ", object_type_names[t], before->objects[t],
                now.objects[t]);
            rc = -1;
        }
    }
    if (now.asid_pools != before->asid_pools) {
        say(&m, "ASID pools: %zu before, %zu now; ", before->asid_pools, now.asid_pools);
        rc = -1;
    }
    return rc;
}

/* ---- The invariants ---------------------------------------------------------------------------
 */

struct slot_rec {
    struct cte *slot;
    size_t list;  /* which derivation list (by its head) */
    size_t pos;   /* position in it */
    paddr_t base; /* physical region, for caps that have one */
    word_t end;
    uintptr_t identity; /* the object (record pointer, or frame base+size) */
};

static int by_identity(const void *a, const void *b)
{
    const struct slot_rec *x = a, *y = b;
    if (x->identity != y->identity) {
        return x->identity < y->identity ? -1 : 1;
    }
    if (x->list != y->list) {
        return x->list < y->list ? -1 : 1;
    }
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int by_base(const void *a, const void *b)
{
    const struct slot_rec *x = a, *y = b;
    if (x->base != y->base) {
        return x->base < y->base ? -1 : 1;
    }
    if (x->end != y->end) {
        return x->end > y->end ? -1 : 1; /* containers first */
    }
    bool xu = x->slot->cap.type == KEEL_MODEL_CAP_UNTYPED;
    bool yu = y->slot->cap.type == KEEL_MODEL_CAP_UNTYPED;
    return (int)yu - (int)xu; /* an untyped before an object filling it exactly */
}

struct walker {
    struct slot_rec *recs;
    size_t n, cap;
    size_t counts[KEEL_MODEL_CAP_TYPE_COUNT];
};

static void visit(struct walker *w, struct cte *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cte *s = &slots[i];
        w->counts[s->cap.type]++;
        if (cap_is_null(s->cap)) {
            continue;
        }
        if (w->n == w->cap) {
            w->cap = w->cap ? 2 * w->cap : 1024;
            w->recs = realloc(w->recs, w->cap * sizeof(*w->recs));
            if (w->recs == NULL) {
                model_panic("out of host memory while checking the world");
            }
        }
        w->recs[w->n++] = (struct slot_rec){.slot = s};
    }
}

static int slot_cmp_ptr(const void *a, const void *b)
{
    const struct slot_rec *x = a, *y = b;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static struct slot_rec *find_rec(struct walker *w, struct cte *slot)
{
    struct slot_rec key = {.slot = slot};
    return bsearch(&key, w->recs, w->n, sizeof(key), slot_cmp_ptr);
}

/* A sorted set of slots: the descendants of one untyped. */
struct slot_set {
    struct cte **slots;
    size_t n, cap;
};

static int ptr_cmp(const void *a, const void *b)
{
    const struct cte *x = *(struct cte *const *)a, *y = *(struct cte *const *)b;
    return x < y ? -1 : x > y;
}

static void set_fill_descendants(struct slot_set *set, struct cte *parent)
{
    set->n = 0;
    for (struct cte *d = parent->next; d != NULL && mdb_is_parent_of(parent, d); d = d->next) {
        if (set->n == set->cap) {
            set->cap = set->cap ? 2 * set->cap : 256;
            set->slots = realloc(set->slots, set->cap * sizeof(*set->slots));
            if (set->slots == NULL) {
                model_panic("out of host memory while checking the world");
            }
        }
        set->slots[set->n++] = d;
    }
    if (set->n > 1) {
        qsort(set->slots, set->n, sizeof(*set->slots), ptr_cmp);
    }
}

static bool set_has(const struct slot_set *set, struct cte *slot)
{
    return set->n > 0 && bsearch(&slot, set->slots, set->n, sizeof(slot), ptr_cmp) != NULL;
}

/* The live stateful objects: every record in the registries, sorted by address. */
struct live_obj {
    const struct kobj *obj;
    bool named;    /* by at least one cap of its own type */
    bool in_wait;  /* TCB: seen in an endpoint's or notification's queue */
    bool in_ready; /* TCB: seen in a ready queue */
    word_t asid;   /* PML4: the ASID whose pool entry holds it, 0 for none */
};

struct live_set {
    struct live_obj *objs;
    size_t n, cap;
};

static int live_cmp(const void *a, const void *b)
{
    const struct live_obj *x = a, *y = b;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

static struct live_obj *live_find(const struct live_set *set, const struct kobj *o)
{
    struct live_obj key = {.obj = o};
    return set->n == 0 ? NULL : bsearch(&key, set->objs, set->n, sizeof(key), live_cmp);
}

/*
 * 0. The registries: each a well-linked list of records of its own kind, exactly as long as
 * the kind's live count (frames and untypeds are memory, never registered). Fills `live`.
 */
static bool check_registries(struct msgbuf *m, struct live_set *live)
{
    for (size_t kind = 0; kind < NUM_OBJ_KINDS; kind++) {
        bool memory_only = kind == seL4_UntypedObject || cap_is_frame_type(kind);
        size_t expected = memory_only ? 0 : ks.obj_count[kind];
        size_t n = 0;
        const struct kobj *prev = NULL;
        for (const struct kobj *o = ks.objects[kind]; o != NULL; o = o->next) {
            if (n == expected) {
                say(m, "the %s registry holds more records than the %zu recorded live",
                    kind_name(kind), expected);
                return false;
            }
            if (o->prev != prev || o->type != kind) {
                say(m, "the %s registry is broken at a record for %#llx", kind_name(kind),
                    (unsigned long long)o->paddr);
                return false;
            }
            if (live->n == live->cap) {
                live->cap = live->cap ? 2 * live->cap : 256;
                live->objs = realloc(live->objs, live->cap * sizeof(*live->objs));
                if (live->objs == NULL) {
                    model_panic("out of host memory while checking the world");
                }
            }
            live->objs[live->n++] = (struct live_obj){.obj = o};
            prev = o;
            n++;
        }
        if (n != expected) {
            say(m, "the %s registry holds %zu records, %zu recorded live", kind_name(kind), n,
                expected);
            return false;
        }
    }
    qsort(live->objs, live->n, sizeof(*live->objs), live_cmp);
    return true;
}

/* The registered kind of the object a cap points to, or -1 for caps that point to none. */
static int pointed_kind(struct cap c)
{
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
    case KEEL_MODEL_CAP_NOTIFICATION:
    case KEEL_MODEL_CAP_CNODE:
    case KEEL_MODEL_CAP_TCB:
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
    case KEEL_MODEL_CAP_PML4:
        return cap_object_type(c);
    case KEEL_MODEL_CAP_REPLY:
        return seL4_TCBObject; /* the caller (or, for the master, the TCB itself) */
    case KEEL_MODEL_CAP_ASID_POOL:
        return OBJ_ASID_POOL;
    default:
        return -1;
    }
}

/*
 * Every cap that points to an object points to a live one of the right kind, and every live
 * object is named by at least one cap of its own type: the kernel destroys an object when its
 * last cap goes (§4.6, §7.2), so one without caps is a leak nothing can reach. A reply cap
 * names its TCB but does not keep it alive. Caps inside unreachable containers (a CNode whose
 * only cap sits in one of its own slots) count: those slots are walked like any other.
 */
static bool check_caps_name_live_objects(struct msgbuf *m, const struct walker *w,
                                         struct live_set *live)
{
    for (size_t i = 0; i < w->n; i++) {
        struct cap c = w->recs[i].slot->cap;
        int kind = pointed_kind(c);
        if (kind < 0) {
            continue;
        }
        struct live_obj *l = live_find(live, c.obj);
        if (l == NULL) {
            say(m, "a cap of type %s points to an object that is not live", cap_type_names[c.type]);
            return false;
        }
        if (l->obj->type != kind) {
            say(m, "a cap of type %s points to a live %s", cap_type_names[c.type],
                kind_name(l->obj->type));
            return false;
        }
        if (c.type != KEEL_MODEL_CAP_REPLY) {
            l->named = true;
        }
    }
    for (size_t i = 0; i < live->n; i++) {
        if (!live->objs[i].named) {
            say(m, "a live %s at %#llx is named by no cap", kind_name(live->objs[i].obj->type),
                (unsigned long long)live->objs[i].obj->paddr);
            return false;
        }
    }
    return true;
}

/* ---- The kernel's pointers between objects --------------------------------------------------- */

/* The live record `o` if it is one of kind `kind`, else NULL. */
static struct live_obj *live_of_kind(const struct live_set *live, const void *o, size_t kind)
{
    struct live_obj *l = live_find(live, o);
    return l != NULL && l->obj->type == kind ? l : NULL;
}

/*
 * A wait queue (endpoint or notification, FIFO through q_next/q_prev): well linked from head to
 * tail, every element a live TCB that no queue holds already, blocked in `want` on `owner`.
 * A cycle is caught as a TCB seen twice.
 */
static bool check_wait_queue(struct msgbuf *m, const struct live_set *live, const char *what,
                             const struct kobj *owner, struct tcb *head, struct tcb *tail,
                             enum thread_state want)
{
    unsigned long long at = (unsigned long long)owner->paddr;
    const struct tcb *prev = NULL;
    for (struct tcb *t = head; t != NULL; t = t->q_next) {
        struct live_obj *l = live_of_kind(live, t, seL4_TCBObject);
        if (l == NULL) {
            say(m, "the %s at %#llx queues a TCB that is not live", what, at);
            return false;
        }
        if (l->in_wait) {
            say(m, "the %s at %#llx queues thread '%s', which is already in a wait queue", what, at,
                t->name);
            return false;
        }
        l->in_wait = true;
        if (t->q_prev != prev) {
            say(m, "the %s at %#llx has a broken queue at thread '%s'", what, at, t->name);
            return false;
        }
        if (t->state != want || t->blocked_on != owner) {
            say(m, "the %s at %#llx queues thread '%s', which is %s%s", what, at, t->name,
                (unsigned)t->state <= TS_BLOCKED_ON_NOTIFICATION ? thread_state_name(t->state)
                                                                 : "in no valid state",
                t->state == want ? " on another object" : "");
            return false;
        }
        prev = t;
    }
    if (tail != prev) {
        say(m, "the %s at %#llx has a broken queue: its tail is not its last thread", what, at);
        return false;
    }
    return true;
}

/*
 * Endpoints and notifications: queues as above; an endpoint is Idle iff its queue is empty,
 * and its queue holds only senders (Send) or only receivers (Recv); a notification is Waiting
 * iff its queue is non-empty (Idle and Active both have empty queues); a notification and its
 * bound TCB point at each other (§8.1, §8.4).
 */
static bool check_ipc_objects(struct msgbuf *m, const struct live_set *live)
{
    for (struct kobj *o = ks.objects[seL4_EndpointObject]; o != NULL; o = o->next) {
        struct endpoint *ep = (struct endpoint *)o;
        unsigned long long at = (unsigned long long)o->paddr;
        if ((ep->state == EP_IDLE) != (ep->head == NULL) || ep->state > EP_RECV) {
            say(m, "the endpoint at %#llx is %s with %s queue", at,
                ep->state == EP_IDLE   ? "idle"
                : ep->state == EP_SEND ? "in state send"
                : ep->state == EP_RECV ? "in state receive"
                                       : "in no valid state",
                ep->head == NULL ? "an empty" : "a non-empty");
            return false;
        }
        enum thread_state want = ep->state == EP_SEND ? TS_BLOCKED_ON_SEND : TS_BLOCKED_ON_RECEIVE;
        if (!check_wait_queue(m, live, "endpoint", o, ep->head, ep->tail, want)) {
            return false;
        }
    }
    for (struct kobj *o = ks.objects[seL4_NotificationObject]; o != NULL; o = o->next) {
        struct notification *n = (struct notification *)o;
        unsigned long long at = (unsigned long long)o->paddr;
        if ((n->state == NTFN_WAITING) != (n->head != NULL) || n->state > NTFN_ACTIVE) {
            say(m, "the notification at %#llx is %s with %s queue", at,
                n->state == NTFN_IDLE      ? "idle"
                : n->state == NTFN_WAITING ? "waiting"
                : n->state == NTFN_ACTIVE  ? "active"
                                           : "in no valid state",
                n->head == NULL ? "an empty" : "a non-empty");
            return false;
        }
        if (!check_wait_queue(m, live, "notification", o, n->head, n->tail,
                              TS_BLOCKED_ON_NOTIFICATION)) {
            return false;
        }
        if (n->bound != NULL) {
            if (live_of_kind(live, n->bound, seL4_TCBObject) == NULL) {
                say(m, "the notification at %#llx is bound to a TCB that is not live", at);
                return false;
            }
            if (n->bound->bound != n) {
                say(m,
                    "the notification at %#llx is bound to thread '%s', which is not bound "
                    "to it",
                    at, n->bound->name);
                return false;
            }
        }
    }
    return true;
}

/*
 * The ready queues (sched.c): each well linked, holding live runnable TCBs of its priority
 * marked queued, each in one queue once; the bitmap says which are non-empty.
 */
static bool check_ready_queues(struct msgbuf *m, const struct live_set *live)
{
    for (unsigned p = 0; p < seL4_NumPriorities; p++) {
        bool bit = (ks.ready_bitmap[p / 64] & BIT(p % 64)) != 0;
        if (bit != (ks.ready[p].head != NULL)) {
            say(m, "the ready bitmap says priority %u is %s, its ready queue is %s", p,
                bit ? "ready" : "empty", ks.ready[p].head != NULL ? "not empty" : "empty");
            return false;
        }
        const struct tcb *prev = NULL;
        for (struct tcb *t = ks.ready[p].head; t != NULL; t = t->run_next) {
            struct live_obj *l = live_of_kind(live, t, seL4_TCBObject);
            if (l == NULL) {
                say(m, "ready queue %u holds a TCB that is not live", p);
                return false;
            }
            if (l->in_ready) {
                say(m, "thread '%s' is in the ready queues twice", t->name);
                return false;
            }
            l->in_ready = true;
            if (t->run_prev != prev) {
                say(m, "ready queue %u is broken at thread '%s'", p, t->name);
                return false;
            }
            if (!t->queued || t->priority != p || !thread_is_runnable(t)) {
                say(m, "ready queue %u holds thread '%s' (priority %u, %s, %s)", p, t->name,
                    t->priority, t->queued ? "marked queued" : "not marked queued",
                    (unsigned)t->state <= TS_BLOCKED_ON_NOTIFICATION ? thread_state_name(t->state)
                                                                     : "in no valid state");
                return false;
            }
            prev = t;
        }
        if (ks.ready[p].tail != prev) {
            say(m, "ready queue %u is broken: its tail is not its last thread", p);
            return false;
        }
    }
    return true;
}

/* The caller's master reply cap is followed in the derivation list by the reply cap. */
static bool reply_cap_in_place(const struct cte *slot)
{
    const struct tcb *caller = (const struct tcb *)slot->cap.obj;
    return slot->prev == &caller->slots[TCB_REPLY];
}

/*
 * Every TCB: a valid state; blocked on an endpoint or notification iff in that object's queue
 * (queue links only then); bound to a live notification bound back; in a ready queue iff marked
 * queued; a runnable thread is current, queued or the scheduler's candidate, so it runs some
 * day; its reply slot holds nothing or its own master reply cap, its caller slot nothing or a
 * reply cap, and nothing while it is blocked on a receive (endpoint.c). The current thread and
 * the candidate are live TCBs, and the current thread is in no ready queue.
 */
static bool check_threads(struct msgbuf *m, const struct live_set *live)
{
    if (!check_ready_queues(m, live)) {
        return false;
    }
    if (ks.current != NULL) {
        struct live_obj *l = live_of_kind(live, ks.current, seL4_TCBObject);
        if (l == NULL) {
            say(m, "the current thread is not a live TCB");
            return false;
        }
        if (l->in_ready) {
            say(m, "the current thread '%s' is in a ready queue", ks.current->name);
            return false;
        }
    }
    if ((ks.candidate != NULL) != (ks.action == SCHED_SWITCH_TO) ||
        (ks.candidate != NULL && live_of_kind(live, ks.candidate, seL4_TCBObject) == NULL)) {
        say(m, "the scheduler's candidate is %s with %s", ks.candidate ? "set" : "unset",
            ks.action == SCHED_SWITCH_TO ? "a switch pending" : "no switch pending");
        return false;
    }
    for (struct kobj *o = ks.objects[seL4_TCBObject]; o != NULL; o = o->next) {
        struct tcb *t = (struct tcb *)o;
        const struct live_obj *l = live_find(live, o);
        if (l == NULL) {
            continue; /* cannot happen: every registered record is in the set */
        }
        if ((unsigned)t->state > TS_BLOCKED_ON_NOTIFICATION) {
            say(m, "thread '%s' is in no valid state (%u)", t->name, (unsigned)t->state);
            return false;
        }
        bool waits = t->state == TS_BLOCKED_ON_SEND || t->state == TS_BLOCKED_ON_RECEIVE ||
                     t->state == TS_BLOCKED_ON_NOTIFICATION;
        if (waits && !l->in_wait) {
            say(m, "thread '%s' is %s but in no such object's queue", t->name,
                thread_state_name(t->state));
            return false;
        }
        if (!l->in_wait && (t->q_next != NULL || t->q_prev != NULL)) {
            say(m, "thread '%s' is in no wait queue but has queue links", t->name);
            return false;
        }
        if (t->queued != l->in_ready || (!t->queued && (t->run_next || t->run_prev))) {
            say(m, "thread '%s' is %s but %s", t->name,
                t->queued ? "marked queued" : "not marked queued",
                l->in_ready ? "in a ready queue" : "in no ready queue (or has ready links)");
            return false;
        }
        if (thread_is_runnable(t) && !t->queued && t != ks.current && t != ks.candidate) {
            say(m, "thread '%s' is %s but neither current, queued nor about to run", t->name,
                thread_state_name(t->state));
            return false;
        }
        if (t->bound != NULL) {
            if (live_of_kind(live, t->bound, seL4_NotificationObject) == NULL) {
                say(m, "thread '%s' is bound to a notification that is not live", t->name);
                return false;
            }
            if (t->bound->bound != t) {
                say(m, "thread '%s' is bound to a notification bound elsewhere", t->name);
                return false;
            }
        }
        struct cap reply = t->slots[TCB_REPLY].cap;
        if (!cap_is_null(reply) && (reply.type != KEEL_MODEL_CAP_REPLY ||
                                    !(reply.flags & CAPF_MASTER) || reply.obj != o)) {
            say(m,
                "thread '%s' holds a %s cap that is not its master reply cap in its reply "
                "slot",
                t->name, cap_type_names[reply.type]);
            return false;
        }
        struct cap caller = t->slots[TCB_CALLER].cap;
        if (!cap_is_null(caller) &&
            (caller.type != KEEL_MODEL_CAP_REPLY || (caller.flags & CAPF_MASTER) ||
             t->state == TS_BLOCKED_ON_RECEIVE)) {
            say(m, "thread '%s' (%s) holds a %s%s cap in its caller slot", t->name,
                thread_state_name(t->state),
                caller.type == KEEL_MODEL_CAP_REPLY && (caller.flags & CAPF_MASTER) ? "master "
                                                                                    : "",
                cap_type_names[caller.type]);
            return false;
        }
    }
    return true;
}

/*
 * Reply caps other than masters (§8.2, non-MCS): each names a thread blocked on reply and is
 * the derivation-list successor of that thread's master reply cap (so there is one at most).
 */
static bool check_reply_caps(struct msgbuf *m, const struct walker *w)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct cte *s = w->recs[i].slot;
        if (s->cap.type != KEEL_MODEL_CAP_REPLY || (s->cap.flags & CAPF_MASTER)) {
            continue;
        }
        const struct tcb *caller = (const struct tcb *)s->cap.obj;
        if (caller->state != TS_BLOCKED_ON_REPLY) {
            say(m, "a reply cap names thread '%s', which is %s, not blocked on reply", caller->name,
                thread_state_name(caller->state));
            return false;
        }
        if (!reply_cap_in_place(s)) {
            say(m, "a reply cap to thread '%s' does not follow its master reply cap", caller->name);
            return false;
        }
    }
    return true;
}

/*
 * ASIDs (§10): each ASID table entry holds a live ASID pool whose base is that entry's, and
 * each live pool sits in its entry; each pool entry holds a live PML4, every cap to which bears
 * that ASID (a PML4 cap cannot be copied before it has one); ASID 0 is never assigned. The root
 * VSpace is a live PML4 or none. A PML4 cap's ASID may be stale (its pool deleted), as on seL4.
 */
static bool check_asids(struct msgbuf *m, const struct walker *w, const struct live_set *live)
{
    for (size_t i = 0; i < BIT(seL4_NumASIDPoolsBits); i++) {
        struct asid_pool *pool = ks.asid_table[i];
        if (pool == NULL) {
            continue;
        }
        if (live_of_kind(live, pool, OBJ_ASID_POOL) == NULL) {
            say(m, "ASID table entry %zu holds an object that is not a live ASID pool", i);
            return false;
        }
        if (pool->base != (word_t)i << seL4_ASIDPoolIndexBits) {
            say(m, "the ASID pool at %#llx has base %#llx but sits in ASID table entry %zu",
                (unsigned long long)pool->hdr.paddr, (unsigned long long)pool->base, i);
            return false;
        }
        for (size_t j = 0; j < PT_ENTRIES; j++) {
            struct paging *vs = pool->vspaces[j];
            if (vs == NULL) {
                continue;
            }
            word_t asid = pool->base + j;
            struct live_obj *l = live_of_kind(live, vs, seL4_X64_PML4Object);
            if (asid == 0 || l == NULL || l->asid != 0) {
                say(m, "ASID %#llx maps %s", (unsigned long long)asid,
                    asid == 0   ? "something: ASID 0 is never assigned"
                    : l == NULL ? "an object that is not a live PML4"
                                : "a PML4 that another ASID maps too");
                return false;
            }
            l->asid = asid;
        }
    }
    for (struct kobj *o = ks.objects[OBJ_ASID_POOL]; o != NULL; o = o->next) {
        struct asid_pool *pool = (struct asid_pool *)o;
        word_t index = pool->base >> seL4_ASIDPoolIndexBits;
        if (index >= BIT(seL4_NumASIDPoolsBits) || ks.asid_table[index] != pool) {
            say(m, "the live ASID pool at %#llx is not in the ASID table",
                (unsigned long long)o->paddr);
            return false;
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        struct cap c = w->recs[i].slot->cap;
        if (c.type != KEEL_MODEL_CAP_PML4) {
            continue;
        }
        const struct live_obj *l = live_find(live, c.obj); /* live: checked before */
        if (l != NULL && l->asid != 0 && c.asid != l->asid) {
            say(m, "the PML4 at %#llx has ASID %#llx but a cap to it says %#llx",
                (unsigned long long)c.obj->paddr, (unsigned long long)l->asid,
                (unsigned long long)c.asid);
            return false;
        }
    }
    if (ks.root_vspace != NULL && live_of_kind(live, ks.root_vspace, seL4_X64_PML4Object) == NULL) {
        say(m, "the root VSpace is not a live PML4");
        return false;
    }
    return true;
}

static int check_locked(struct msgbuf *m)
{
    struct walker w = {0};
    struct slot_set desc = {0};
    struct live_set live = {0};
    int rc = -1;
    if (!check_registries(m, &live)) {
        goto out;
    }
    for (struct kobj *o = ks.objects[seL4_CapTableObject]; o != NULL; o = o->next) {
        struct cnode *cn = (struct cnode *)o;
        visit(&w, cn->slots, BIT(cn->radix));
    }
    for (struct kobj *o = ks.objects[seL4_TCBObject]; o != NULL; o = o->next) {
        visit(&w, ((struct tcb *)o)->slots, TCB_NUM_SLOTS);
    }
    for (size_t t = 1; t < KEEL_MODEL_CAP_TYPE_COUNT; t++) {
        if (w.counts[t] != ks.cap_count[t]) {
            say(m, "live %s caps: counted %zu, recorded %zu", cap_type_names[t], w.counts[t],
                ks.cap_count[t]);
            goto out;
        }
    }
    if (!check_caps_name_live_objects(m, &w, &live)) {
        goto out;
    }
    qsort(w.recs, w.n, sizeof(*w.recs), slot_cmp_ptr);

    /* 1. The derivation lists: links consistent, every list acyclic, positions assigned. */
    for (size_t i = 0; i < w.n; i++) {
        struct cte *s = w.recs[i].slot;
        if ((s->prev != NULL && (s->prev->next != s || find_rec(&w, s->prev) == NULL)) ||
            (s->next != NULL && (s->next->prev != s || find_rec(&w, s->next) == NULL))) {
            say(m, "derivation list broken at a %s cap", cap_type_names[s->cap.type]);
            goto out;
        }
        w.recs[i].pos = SIZE_MAX;
    }
    size_t lists = 0, placed = 0;
    for (size_t i = 0; i < w.n; i++) {
        if (w.recs[i].slot->prev != NULL) {
            continue;
        }
        size_t pos = 0;
        for (struct cte *s = w.recs[i].slot; s != NULL && placed <= w.n; s = s->next) {
            struct slot_rec *r = find_rec(&w, s);
            if (r == NULL) {
                break; /* cannot happen: every link was checked above */
            }
            r->list = lists;
            r->pos = pos++;
            placed++;
        }
        lists++;
    }
    if (placed != w.n) {
        say(m, "derivation list has a cycle (%zu of %zu caps reachable from list heads)", placed,
            w.n);
        goto out;
    }

    /* 2. Caps to one object are adjacent in derivation order (isFinal depends on it). */
    for (size_t i = 0; i < w.n; i++) {
        struct slot_rec *r = &w.recs[i];
        struct cap c = r->slot->cap;
        paddr_t base;
        unsigned bits;
        if (cap_region(c, &base, &bits)) {
            r->base = base;
            r->end = base + BIT(bits);
        }
        if (c.type == KEEL_MODEL_CAP_UNTYPED || c.type == KEEL_MODEL_CAP_IRQ_CONTROL) {
            r->identity = 0;
        } else if (c.type == KEEL_MODEL_CAP_FRAME) {
            r->identity =
                (uintptr_t)((c.paddr | c.size_bits) ^ ((c.flags & CAPF_DEVICE) ? 1ull << 63 : 0));
        } else if (cap_region(c, &base, &bits)) {
            r->identity = (uintptr_t)c.obj;
        } else {
            r->identity = 0;
        }
    }
    qsort(w.recs, w.n, sizeof(*w.recs), by_identity);
    for (size_t i = 0; i + 1 < w.n; i++) {
        struct slot_rec *a = &w.recs[i], *b = &w.recs[i + 1];
        if (a->identity != 0 && a->identity == b->identity &&
            (a->list != b->list || b->pos != a->pos + 1)) {
            say(m, "caps to one %s are not adjacent in derivation order",
                cap_type_names[a->slot->cap.type]);
            goto out;
        }
    }
    size_t frames[seL4_ObjectTypeCount] = {0};
    for (size_t i = 0; i < w.n; i++) {
        struct cap c = w.recs[i].slot->cap;
        if (c.type == KEEL_MODEL_CAP_FRAME &&
            (i == 0 || w.recs[i - 1].identity != w.recs[i].identity)) {
            frames[cap_object_type(c)]++;
        }
    }
    for (int t = seL4_X64_HugePageObject; t <= seL4_X86_LargePageObject; t++) {
        if (frames[t] != ks.obj_count[t]) {
            say(m, "live %s objects: %zu distinct, recorded %zu", object_type_names[t], frames[t],
                ks.obj_count[t]);
            goto out;
        }
    }

    /* 3. Memory: objects never overlap except by nesting inside untypeds; every physical cap
     * inside an untyped is its descendant and lies below its watermark; above a RAM untyped's
     * watermark every byte is zero. */
    qsort(w.recs, w.n, sizeof(*w.recs), by_base);
    for (size_t i = 0; i < w.n; i++) {
        struct slot_rec *r = &w.recs[i];
        struct cap c = r->slot->cap;
        if (r->end == 0) {
            continue;
        }
        if (c.type != KEEL_MODEL_CAP_UNTYPED) {
            /* The next object-holding cap must start after this object ends, or be the same. */
            for (size_t j = i + 1; j < w.n && w.recs[j].base < r->end; j++) {
                struct cap d = w.recs[j].slot->cap;
                if (w.recs[j].end == 0) {
                    continue;
                }
                if (d.type == KEEL_MODEL_CAP_UNTYPED) {
                    say(m, "an untyped at %#llx overlaps a live %s without containing it",
                        (unsigned long long)w.recs[j].base, cap_type_names[c.type]);
                    goto out;
                }
                if (w.recs[j].identity != r->identity && !same_object_as(c, d)) {
                    say(m, "live %s and %s overlap at %#llx", cap_type_names[c.type],
                        cap_type_names[d.type], (unsigned long long)w.recs[j].base);
                    goto out;
                }
            }
            continue;
        }
        word_t watermark = c.word << seL4_MinUntypedBits;
        /* Collect the descendants, then look at every cap inside the region. */
        set_fill_descendants(&desc, r->slot);
        for (size_t j = i + 1; j < w.n && w.recs[j].base < r->end; j++) {
            struct slot_rec *x = &w.recs[j];
            if (x->end == 0 || (x->slot->cap.type == KEEL_MODEL_CAP_UNTYPED && x->base == r->base &&
                                x->end == r->end)) {
                continue; /* untyped copies of one region are checked from either side */
            }
            if (x->end > r->end) {
                say(m, "a %s at %#llx straddles the end of an untyped",
                    cap_type_names[x->slot->cap.type], (unsigned long long)x->base);
                goto out;
            }
            if (!set_has(&desc, x->slot)) {
                say(m, "a %s at %#llx lies inside an untyped at %#llx but is not its descendant",
                    cap_type_names[x->slot->cap.type], (unsigned long long)x->base,
                    (unsigned long long)r->base);
                goto out;
            }
            if (x->end - r->base > watermark) {
                say(m, "a %s at %#llx lies above the watermark of its untyped at %#llx",
                    cap_type_names[x->slot->cap.type], (unsigned long long)x->base,
                    (unsigned long long)r->base);
                goto out;
            }
        }
        if (!(c.flags & CAPF_DEVICE) && watermark < BIT(c.size_bits) &&
            !phys_is_zero(r->base + watermark, BIT(c.size_bits) - watermark)) {
            say(m, "untyped at %#llx (2^%u bytes) has non-zero bytes above its watermark %#llx",
                (unsigned long long)r->base, c.size_bits, (unsigned long long)watermark);
            goto out;
        }
    }

    /* 4. The kernel's pointers between objects: IPC queues, bindings, the scheduler, reply
     * caps, ASIDs. */
    if (!check_ipc_objects(m, &live) || !check_threads(m, &live) || !check_reply_caps(m, &w) ||
        !check_asids(m, &w, &live)) {
        goto out;
    }
    rc = 0;
out:
    free(w.recs);
    free(desc.slots);
    free(live.objs);
    return rc;
}

int keel_model_check(char *msg, size_t msg_len)
{
    struct msgbuf m = {msg, msg_len, 0};
    if (msg != NULL && msg_len > 0) {
        msg[0] = '\0';
    }
    kernel_lock();
    int rc = check_locked(&m);
    kernel_unlock();
    return rc;
}
