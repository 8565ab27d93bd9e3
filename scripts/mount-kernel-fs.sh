#!/usr/bin/env bash
# Mount what the sensor needs when the machine has not: tracefs (syscall
# tracepoints) and bpffs (pinned maps).  Idempotent.
set -euo pipefail
mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/mounts; }
if ! mounted /sys/kernel/tracing; then
	mount -t tracefs tracefs /sys/kernel/tracing
fi
if ! mounted /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
