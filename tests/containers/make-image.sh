#!/bin/sh
# make-image.sh - build localhost/vigil-busybox:latest from busybox-static.
#
# Idempotent: when the image already exists it only prints its id.  The
# image is a plain rootfs (no registry needed): /bin/busybox, one symlink per
# applet, a minimal /etc/passwd and a /tmp, imported with `podman import`.
# Prints the image id on stdout; progress and errors go to stderr.
set -eu

IMAGE=localhost/vigil-busybox:latest
BUSYBOX=${BUSYBOX:-/bin/busybox}

# Several test runs may start at once; one builds, the others wait for it.
LOCK=/run/lock/vigil-busybox-image.lock
mkdir -p "$(dirname "$LOCK")"
exec 9>"$LOCK"
if command -v flock >/dev/null 2>&1; then
	flock 9
fi

if id=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null); then
	echo "$id"
	exit 0
fi

if [ ! -x "$BUSYBOX" ]; then
	echo "make-image: $BUSYBOX not found (apt-get install busybox-static)" >&2
	exit 1
fi

work=$(mktemp -d /tmp/vigil-busybox.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root/bin" "$root/usr/bin" "$root/etc" "$root/tmp" "$root/proc" \
	"$root/sys" "$root/dev" "$root/root"
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"

# `busybox --list` names every applet; linking busybox onto itself would
# replace the binary with a dangling link, so it is skipped.
"$BUSYBOX" --list | while read -r applet; do
	[ "$applet" = busybox ] && continue
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done

cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP

tar -C "$root" -cf "$work/rootfs.tar" .
podman import --change 'ENV=PATH=/usr/bin:/bin' --change 'CMD=/bin/sh' \
	"$work/rootfs.tar" "$IMAGE" >/dev/null
podman image inspect --format '{{.Id}}' "$IMAGE"
