/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An intrusive ordered map of 64-bit keys (a treap: a binary search tree by key that is a heap
 * by a priority hashed from the key, hence balanced in expectation). Records embed a
 * keel_tnode; nothing is allocated. Expected O(log n) insert, remove and floor lookup.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct keel_tnode {
    struct keel_tnode *left, *right;
    uint64_t key;
    uint64_t prio;
} keel_tnode_t;

typedef struct keel_treap {
    keel_tnode_t *root;
    size_t count;
} keel_treap_t;

void keel_treap_init(keel_treap_t *t);
/* Insert a node with a key not yet present (a duplicate is a contract violation). */
void keel_treap_insert(keel_treap_t *t, keel_tnode_t *n, uint64_t key);
void keel_treap_remove(keel_treap_t *t, keel_tnode_t *n);
/* The node with the largest key <= key, or NULL. */
keel_tnode_t *keel_treap_floor(const keel_treap_t *t, uint64_t key);
/* The node with the smallest key, or NULL; the next node in key order, or NULL. */
keel_tnode_t *keel_treap_first(const keel_treap_t *t);
keel_tnode_t *keel_treap_next(const keel_treap_t *t, const keel_tnode_t *n);
/* Verify order, heap and count; 0 or -1. */
int keel_treap_check(const keel_treap_t *t);
