/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/error.h — Keel's one error type.
 *
 * Running out of memory, slots or metadata is an error return; a contract violation (a double
 * free, a foreign pointer) is a loud assertion instead. When the kernel refuses an operation,
 * the error is KEEL_EKERNEL and the kernel's own error and detail words are kept (keel_kerr).
 */
#pragma once

typedef enum keel_err {
    KEEL_OK = 0,
    KEEL_ENOMEM,   /* no untyped memory can satisfy the request */
    KEEL_ENOSLOT,  /* no capability slots left, and the CSpace cannot grow */
    KEEL_ENOMETA,  /* no metadata storage left, and the grow hook gave none */
    KEEL_EINVAL,   /* an argument is out of range or inconsistent */
    KEEL_ENOENT,   /* nothing by that name or address */
    KEEL_EEXIST,   /* already there */
    KEEL_EBUSY,    /* in use: cannot be given back or changed now */
    KEEL_EKERNEL,  /* the kernel returned an error (see the operation's keel_kerr) */
    KEEL_ERR_COUNT
} keel_err_t;

/* A short, stable description ("out of untyped memory", ...); never NULL. */
const char *keel_err_str(keel_err_t err);
