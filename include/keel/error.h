/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/error.h — Keel's one error type, and what is kept of a kernel error.
 *
 * Running out of memory, slots or metadata is an error return; a contract violation (a double
 * free, a foreign pointer) is a loud assertion instead (keel/debug.h). When the kernel refuses
 * an operation the error is KEEL_EKERNEL, and the kernel's own error with its detail words is
 * kept in the module's keel_kstat_t (`last`).
 */
#pragma once

#include <stdint.h>

#include <sel4/sel4.h>

typedef enum keel_err {
    KEEL_OK = 0,
    KEEL_ENOMEM,  /* no untyped memory can satisfy the request */
    KEEL_ENOSLOT, /* no capability slots left, and the CSpace cannot grow */
    KEEL_ENOMETA, /* no metadata storage left, and the grow hook gave none */
    KEEL_EINVAL,  /* an argument is out of range or inconsistent */
    KEEL_ENOENT,  /* nothing by that name or address */
    KEEL_EEXIST,  /* already there */
    KEEL_EBUSY,   /* in use: cannot be given out, given back or changed now */
    KEEL_EKERNEL, /* the kernel returned an error (see keel_kstat_t.last) */
    KEEL_ERR_COUNT
} keel_err_t;

/* A short, stable description ("out of untyped memory", ...); never NULL. */
const char *keel_err_str(keel_err_t err);

/* A kernel error as the kernel reported it: the error, the invocation, its detail words. */
typedef struct keel_kerr {
    seL4_Error error; /* seL4_NoError if none */
    seL4_Word label;  /* the invocation_label of the call that failed */
    seL4_Word mr[5];  /* MR0..MR4 as the kernel left them (unused words are 0) */
} keel_kerr_t;

/* Kernel calls a module made, and the last kernel error it saw. */
typedef struct keel_kstat {
    uint64_t calls;
    uint64_t errors;
    keel_kerr_t last;
} keel_kstat_t;
