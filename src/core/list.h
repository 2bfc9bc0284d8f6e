/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Intrusive doubly linked lists: a record embeds a keel_link; a list is a pointer to its first
 * link. O(1) push (at the head) and remove.
 */
#pragma once

#include <stddef.h>

typedef struct keel_link {
    struct keel_link *next, *prev;
} keel_link_t;

/* The record that embeds `link` as its `member`. */
#define KEEL_CONTAINER(link, type, member) ((type *)((char *)(link)-offsetof(type, member)))

static inline void keel_list_push(keel_link_t **head, keel_link_t *l)
{
    l->prev = NULL;
    l->next = *head;
    if (*head != NULL) {
        (*head)->prev = l;
    }
    *head = l;
}

static inline void keel_list_remove(keel_link_t **head, keel_link_t *l)
{
    if (l->prev != NULL) {
        l->prev->next = l->next;
    } else {
        *head = l->next;
    }
    if (l->next != NULL) {
        l->next->prev = l->prev;
    }
    l->next = l->prev = NULL;
}

static inline size_t keel_list_length(const keel_link_t *head)
{
    size_t n = 0;
    for (; head != NULL; head = head->next) {
        n++;
    }
    return n;
}
