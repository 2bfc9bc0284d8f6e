/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Treap operations, written without parent pointers: insert and remove walk down from the
 * root keeping a pointer to the link to rewrite; rotations restore the heap order by
 * priority. Priorities are a bijective hash of the key, so a tree's shape depends only on
 * its set of keys, and a run is reproducible.
 */
#include <keel/treap.h>

#include "core/assert.h"

static uint64_t hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

void keel_treap_init(keel_treap_t *t)
{
    t->root = NULL;
    t->count = 0;
}

static keel_tnode_t *rotate_right(keel_tnode_t *n)
{
    keel_tnode_t *l = n->left;
    n->left = l->right;
    l->right = n;
    return l;
}

static keel_tnode_t *rotate_left(keel_tnode_t *n)
{
    keel_tnode_t *r = n->right;
    n->right = r->left;
    r->left = n;
    return r;
}

static keel_tnode_t *insert(keel_tnode_t *root, keel_tnode_t *n)
{
    if (root == NULL) {
        return n;
    }
    KEEL_ASSERT(n->key != root->key, "keel_treap_insert: duplicate key");
    if (n->key < root->key) {
        root->left = insert(root->left, n);
        if (root->left->prio > root->prio) {
            root = rotate_right(root);
        }
    } else {
        root->right = insert(root->right, n);
        if (root->right->prio > root->prio) {
            root = rotate_left(root);
        }
    }
    return root;
}

void keel_treap_insert(keel_treap_t *t, keel_tnode_t *n, uint64_t key)
{
    n->key = key;
    n->prio = hash(key);
    n->left = n->right = NULL;
    t->root = insert(t->root, n);
    t->count++;
}

/* Join two treaps whose keys are all ordered (every key of a < every key of b). */
static keel_tnode_t *join(keel_tnode_t *a, keel_tnode_t *b)
{
    if (a == NULL) {
        return b;
    }
    if (b == NULL) {
        return a;
    }
    if (a->prio > b->prio) {
        a->right = join(a->right, b);
        return a;
    }
    b->left = join(a, b->left);
    return b;
}

void keel_treap_remove(keel_treap_t *t, keel_tnode_t *n)
{
    keel_tnode_t **link = &t->root;
    while (*link != n) {
        KEEL_ASSERT(*link != NULL, "keel_treap_remove: node not in the treap");
        link = n->key < (*link)->key ? &(*link)->left : &(*link)->right;
    }
    *link = join(n->left, n->right);
    n->left = n->right = NULL;
    t->count--;
}

keel_tnode_t *keel_treap_floor(const keel_treap_t *t, uint64_t key)
{
    keel_tnode_t *best = NULL;
    for (keel_tnode_t *n = t->root; n != NULL;) {
        if (n->key <= key) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

keel_tnode_t *keel_treap_first(const keel_treap_t *t)
{
    keel_tnode_t *n = t->root;
    while (n != NULL && n->left != NULL) {
        n = n->left;
    }
    return n;
}

keel_tnode_t *keel_treap_next(const keel_treap_t *t, const keel_tnode_t *n)
{
    keel_tnode_t *best = NULL;
    for (keel_tnode_t *c = t->root; c != NULL;) {
        if (c->key > n->key) {
            best = c;
            c = c->left;
        } else {
            c = c->right;
        }
    }
    return best;
}

/* Count the nodes of a subtree with keys in (lo, hi) that respect the heap; -1 if broken. */
static long check(const keel_tnode_t *n, uint64_t lo, uint64_t hi, int lo_open, int hi_open)
{
    if (n == NULL) {
        return 0;
    }
    if ((!lo_open && n->key <= lo) || (!hi_open && n->key >= hi) || n->prio != hash(n->key) ||
        (n->left != NULL && n->left->prio > n->prio) ||
        (n->right != NULL && n->right->prio > n->prio)) {
        return -1;
    }
    long l = check(n->left, lo, n->key, lo_open, 0);
    long r = check(n->right, n->key, hi, 0, hi_open);
    return (l < 0 || r < 0) ? -1 : l + r + 1;
}

int keel_treap_check(const keel_treap_t *t)
{
    long n = check(t->root, 0, 0, 1, 1);
    return (n < 0 || (size_t)n != t->count) ? -1 : 0;
}
