/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* file.bpf.h - file activity: opens, namespace changes of files
 * (unlink, rename, link, mkdir), attribute changes, mounts. */

#define O_WRONLY	01
#define O_CREAT		0100
#define O_TRUNC		01000

/* What makes two opens the same: one process image, one file, one way. */
struct open_key {
	__u32 tgid;
	__u32 flags;		/* access mode, O_CREAT, O_TRUNC, O_APPEND */
	__u64 exec_id;		/* task->self_exec_id: changes at every exec */
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct open_key);
	__type(value, __u64);	/* when last reported */
} open_seen SEC(".maps");

#define O_ACCMODE	03
#define O_APPEND	02000

/* True when this open repeats one reported within the window. */
static __always_inline bool open_is_repeat(struct file *file, __u32 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct open_key key = {};
	struct inode *inode;
	__u64 now, *last;
	struct sensor_counters *c;

	if (!open_dedup_window_ns || !file)
		return false;
	inode = file->f_inode;
	if (!inode)
		return false;
	key.tgid = task->tgid;
	key.flags = flags & (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND);
	key.exec_id = task->self_exec_id;
	key.ino = inode->i_ino;
	key.dev = inode->i_sb->s_dev;
	now = bpf_ktime_get_boot_ns();
	last = bpf_map_lookup_elem(&open_seen, &key);
	if (last && now - *last < open_dedup_window_ns) {
		c = counters_get();
		if (c)
			c->deduplicated++;
		return true;
	}
	bpf_map_update_elem(&open_seen, &key, &now, BPF_ANY);
	return false;
}

struct open_how_min {
	__u64 flags, mode, resolve;
};

/* Append a user path argument; when relative, also the components of
 * the directory it is relative to.  Returns the base component count. */
static __always_inline __u16 put_path_arg(struct scratch *s, int dirfd,
					  const void *upath)
{
	__u32 off = s->off & (RECORD_MAX - 1);
	__u16 len;
	char first;

	put_str(s, upath, STR_MAX, true);
	len = *(__u16 *)&s->buf[off];
	first = s->buf[off + 2];
	if ((len & STR_LEN_MASK) == 0 || first == '/')
		return 0;
	return put_base_dir(s, dirfd);
}

SEC("raw_tp")
int vigil_exit_open(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct file_payload *fp;
	struct open_how_min how = {};
	const void *upath;
	struct file *file = NULL;
	int dirfd = AT_FDCWD;
	__u32 flags, mode;

	if (!exit_take(ctx, &x))
		return 0;
	switch (x.p.nr) {
	case 2:		/* open(path, flags, mode) */
		upath = (const void *)x.p.args[0];
		flags = x.p.args[1];
		mode = x.p.args[2];
		break;
	case 85:	/* creat(path, mode) */
		upath = (const void *)x.p.args[0];
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		mode = x.p.args[1];
		break;
	case 437:	/* openat2(dirfd, path, how, size) */
		dirfd = x.p.args[0];
		upath = (const void *)x.p.args[1];
		bpf_probe_read_user(&how, sizeof(how), (const void *)x.p.args[2]);
		flags = how.flags;
		mode = how.mode;
		break;
	default:	/* openat(dirfd, path, flags, mode) */
		dirfd = x.p.args[0];
		upath = (const void *)x.p.args[1];
		flags = x.p.args[2];
		mode = x.p.args[3];
		break;
	}
	if (x.ret >= 0) {
		file = fd_to_file(x.ret);
		/* before any costly work: most opens repeat an earlier one */
		if (open_is_repeat(file, flags))
			return 0;
	}
	fp = exit_record(&x, EVENT_OPEN, struct file_payload);
	fp->flags = flags;
	fp->mode = mode;
	fp->resolve = how.resolve;
	fp->dirfd = dirfd;
	fp->fd = x.ret;
	if (file) {
		/* The opened file says where it really is: symlinks and
		 * relative names resolved, no race with the caller's memory. */
		fp->path_parts = put_file_path(x.s, file);
		if (fp->path_parts) {
			x.h->flags |= HDR_FROM_FD;
			record_emit(x.s);
			return 0;
		}
	}
	fp->path_parts = 1;
	fp->base_parts = put_path_arg(x.s, dirfd, upath);
	record_emit(x.s);
	return 0;
}

/* One path (or an fd) and numbers: unlink, rmdir, mkdir, chmod, chown. */
SEC("raw_tp")
int vigil_exit_file(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct file_payload *fp;
	const void *upath = NULL;
	int dirfd = AT_FDCWD, fd = -1;
	__u32 type;
	__u64 *a;

	if (!exit_take(ctx, &x))
		return 0;
	a = x.p.args;
	switch (x.p.nr) {
	case 87: case 84: case 263:
		type = EVENT_UNLINK;
		break;
	case 83: case 258:
		type = EVENT_MKDIR;
		break;
	case 90: case 91: case 268: case 452:
		type = EVENT_CHMOD;
		break;
	default:
		type = EVENT_CHOWN;
		break;
	}
	fp = exit_record(&x, type, struct file_payload);
	switch (x.p.nr) {
	case 87: case 84:	/* unlink(path), rmdir(path) */
		upath = (const void *)a[0];
		break;
	case 263:		/* unlinkat(dirfd, path, flags) */
		dirfd = a[0]; upath = (const void *)a[1]; fp->flags = a[2];
		break;
	case 83:		/* mkdir(path, mode) */
		upath = (const void *)a[0]; fp->mode = a[1];
		break;
	case 258:		/* mkdirat(dirfd, path, mode) */
		dirfd = a[0]; upath = (const void *)a[1]; fp->mode = a[2];
		break;
	case 90:		/* chmod(path, mode) */
		upath = (const void *)a[0]; fp->mode = a[1];
		break;
	case 91:		/* fchmod(fd, mode) */
		fd = a[0]; fp->mode = a[1];
		break;
	case 268: case 452:	/* fchmodat(dirfd, path, mode[, flags]) */
		dirfd = a[0]; upath = (const void *)a[1]; fp->mode = a[2];
		fp->flags = x.p.nr == 452 ? a[3] : 0;
		break;
	case 92: case 94:	/* chown/lchown(path, uid, gid) */
		upath = (const void *)a[0]; fp->uid = a[1]; fp->gid = a[2];
		break;
	case 93:		/* fchown(fd, uid, gid) */
		fd = a[0]; fp->uid = a[1]; fp->gid = a[2];
		break;
	default:		/* fchownat(dirfd, path, uid, gid, flags) */
		dirfd = a[0]; upath = (const void *)a[1];
		fp->uid = a[2]; fp->gid = a[3]; fp->flags = a[4];
		break;
	}
	fp->dirfd = dirfd;
	fp->fd = fd;
	if (fd >= 0) {
		fp->path_parts = put_file_path(x.s, fd_to_file(fd));
		x.h->flags |= HDR_FROM_FD;
	} else {
		fp->path_parts = 1;
		fp->base_parts = put_path_arg(x.s, dirfd, upath);
	}
	record_emit(x.s);
	return 0;
}

/* Two paths: rename, link, symlink. */
SEC("raw_tp")
int vigil_exit_file2(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct file_payload *fp;
	const void *old, *new;
	int olddir = AT_FDCWD, newdir = AT_FDCWD;
	__u32 type;
	__u64 *a;

	if (!exit_take(ctx, &x))
		return 0;
	a = x.p.args;
	switch (x.p.nr) {
	case 82: case 264: case 316:
		type = EVENT_RENAME;
		break;
	case 86: case 265:
		type = EVENT_LINK;
		break;
	default:
		type = EVENT_SYMLINK;
		break;
	}
	fp = exit_record(&x, type, struct file_payload);
	switch (x.p.nr) {
	case 82: case 86:	/* rename/link(old, new) */
		old = (const void *)a[0]; new = (const void *)a[1];
		break;
	case 264: case 316: case 265:
		/* renameat(od, old, nd, new[, flags]), linkat(..., flags) */
		olddir = a[0]; old = (const void *)a[1];
		newdir = a[2]; new = (const void *)a[3];
		fp->flags = x.p.nr == 264 ? 0 : a[4];
		break;
	case 88:		/* symlink(target, linkpath) */
		old = (const void *)a[0]; new = (const void *)a[1];
		break;
	default:		/* symlinkat(target, newdirfd, linkpath) */
		old = (const void *)a[0]; newdir = a[1]; new = (const void *)a[2];
		break;
	}
	fp->dirfd = olddir;
	fp->path_parts = 1;
	if (type == EVENT_SYMLINK)	/* a symlink's target is stored as written */
		put_str(x.s, old, STR_MAX, true);
	else
		fp->base_parts = put_path_arg(x.s, olddir, old);
	fp->path2_parts = 1;
	fp->base2_parts = put_path_arg(x.s, newdir, new);
	record_emit(x.s);
	return 0;
}

/* mount(source, target, fstype, flags, data), umount2(target, flags) */
SEC("raw_tp")
int vigil_exit_mount(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct file_payload *fp;
	__u64 *a;

	if (!exit_take(ctx, &x))
		return 0;
	a = x.p.args;
	fp = exit_record(&x, EVENT_MOUNT, struct file_payload);
	fp->dirfd = AT_FDCWD;
	fp->fd = -1;
	if (x.p.nr == 166) {
		fp->flags = a[1];
		fp->path_parts = 1;
		fp->base_parts = put_path_arg(x.s, AT_FDCWD, (const void *)a[0]);
	} else {
		fp->flags = a[3];
		fp->path_parts = 1;
		put_str(x.s, (const void *)a[0], STR_MAX, true);
		fp->path2_parts = 1;
		fp->base2_parts = put_path_arg(x.s, AT_FDCWD, (const void *)a[1]);
		put_str(x.s, (const void *)a[2], NAME_MAX_READ, true);
	}
	record_emit(x.s);
	return 0;
}
