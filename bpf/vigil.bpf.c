/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* vigil.bpf.c - the sensor: one object built from one file per hook
 * family, so all programs share the maps of common.bpf.h. */
#include "common.bpf.h"
#include "families.h"
#include "syscalls.bpf.h"
#include "process.bpf.h"
#include "file.bpf.h"
#include "net.bpf.h"
#include "misc.bpf.h"
