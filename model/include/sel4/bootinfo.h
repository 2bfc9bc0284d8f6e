/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

#include <sel4/bootinfo_types.h>
