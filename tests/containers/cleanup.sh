#!/bin/sh
# cleanup.sh - remove every container and pod whose name starts with
# vigil-test-, whatever state it is in.  Safe to run at any time; other
# containers and the vigil-busybox image are left alone.
set -u

command -v podman >/dev/null 2>&1 || exit 0

# Pods first: removing a pod removes its containers (infra included).
podman pod ls --format '{{.Name}}' 2>/dev/null | while read -r pod; do
	case "$pod" in
	vigil-test-*) podman pod rm -f -t 0 "$pod" >/dev/null 2>&1 || true ;;
	esac
done

podman ps -a --format '{{.Names}}' 2>/dev/null | while read -r name; do
	case "$name" in
	vigil-test-*) podman rm -f -t 0 "$name" >/dev/null 2>&1 || true ;;
	esac
done
exit 0
