/* test_decode.c - the record decoder: every payload shape, path joins,
 * and malformed records refused without reading out of bounds. */
#include <stdlib.h>
#include <sys/socket.h>

#include "test.h"
#include "record_builder.h"
#include "output/event_json.h"
#include "sensor/decode.h"
#include "../../bpf/families.h"

static struct event ev;
static char err[256];

static int decode(struct record_builder *b)
{
	return event_decode(&ev, b->buf, b->len, 1000, err, sizeof(err));
}

TEST(exec_joins_components_leaf_first)
{
	struct record_builder b;
	struct exec_payload p = {.argc = 3, .exe_parts = 3, .cwd_parts = 2};

	rb_begin(&b, EVENT_EXEC, &p, sizeof(p));
	rb_cstr(&b, "ls");
	rb_cstr(&b, "bin");
	rb_cstr(&b, "usr");
	rb_str(&b, "ls\0-l\0/tmp\0", 11, 0);
	rb_cstr(&b, "work");
	rb_cstr(&b, "home");
	rb_cstr(&b, "/bin/ls");
	CHECK_INT(decode(&b), 0);
	CHECK_INT(ev.type, EVENT_EXEC);
	CHECK_STR(ev.exec.exe.ptr, "/usr/bin/ls");
	CHECK_STR(ev.exec.cwd.ptr, "/home/work");
	CHECK_STR(ev.exec.filename.ptr, "/bin/ls");
	CHECK_INT(ev.exec.args.len, 11);
	CHECK_INT(ev.exec.argc, 3);
	CHECK(!ev.exec.args_truncated);
	CHECK_INT(ev.real_ns, 5000001000ULL);
	CHECK_STR(ev.task.comm, "tester");
	CHECK_INT(ev.syscall, -1);
}

TEST(exec_args_truncation_is_kept)
{
	struct record_builder b;
	struct exec_payload p = {.argc = 5000, .exe_parts = 1, .cwd_parts = 0};
	struct event_header *h = rb_begin(&b, EVENT_EXEC, &p, sizeof(p));

	h->flags = HDR_ARGS_TRUNCATED;
	rb_cstr(&b, "x");
	rb_str(&b, "a\0b", 3, 1);
	CHECK_INT(decode(&b), 0);
	CHECK(ev.exec.args_truncated);
	CHECK_STR(ev.exec.cwd.ptr, "/");
	CHECK_STR(ev.exec.exe.ptr, "/x");
}

TEST(failed_exec_has_only_filename)
{
	struct record_builder b;
	struct exec_payload p = {0};
	struct event_header *h = rb_begin(&b, EVENT_EXEC, &p, sizeof(p));

	h->ret = -2;
	h->syscall = 59;
	rb_cstr(&b, "/no/such");
	CHECK_INT(decode(&b), 0);
	CHECK_INT(ev.ret, -2);
	CHECK_INT(ev.syscall, 59);
	CHECK_STR(ev.exec.filename.ptr, "/no/such");
	CHECK(ev.exec.exe.ptr == NULL);
}

TEST(exec_facts_decoded)
{
	struct record_builder b;
	struct exec_payload p = {
		.stdio_type = {FD_KIND_PIPE, FD_KIND_IPV4, FD_KIND_NONE},
		.tty = 34817,				/* /dev/pts/1 */
		.exe_ctime_ns = 1700000000123456789ULL,
		.exe_mtime_ns = 1600000000000000001ULL,
		.exe_flags = EXE_ON_OVERLAY | EXE_UPPER_LAYER,
		.exe_ino = 1234567890123ULL,
		.exe_dev = 254 << 20 | 0,		/* vda, kernel dev_t */
		.cap_effective = 0x1ffffffffffULL,
		.cap_permitted = 0x3fULL,
	};

	rb_exec(&b, &p, "sh");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.exec.exe.ptr, "/sh");
	CHECK_INT(ev.exec.stdio_type[0], FD_KIND_PIPE);
	CHECK_INT(ev.exec.stdio_type[1], FD_KIND_IPV4);
	CHECK_INT(ev.exec.stdio_type[2], FD_KIND_NONE);
	CHECK_INT(ev.exec.tty, 34817);
	CHECK_INT(ev.exec.exe_ctime_ns, 1700000000123456789ULL);
	CHECK_INT(ev.exec.exe_mtime_ns, 1600000000000000001ULL);
	CHECK_INT(ev.exec.exe_flags, EXE_ON_OVERLAY | EXE_UPPER_LAYER);
	CHECK_INT(ev.exec.exe_ino, 1234567890123ULL);
	CHECK_INT(ev.exec.exe_dev, 0xfe00);		/* as stat(2) st_dev */
	CHECK(ev.exec.cap_effective == 0x1ffffffffffULL);
	CHECK(ev.exec.cap_permitted == 0x3fULL);
}

TEST(exec_dev_with_large_minor_encoded_like_stat)
{
	struct record_builder b;
	struct exec_payload p = {.exe_dev = 259u << 20 | 0x12345};

	rb_exec(&b, &p, "x");
	CHECK_INT(decode(&b), 0);
	/* makedev(259, 0x12345): minor low byte, major, minor high bits */
	CHECK_INT(ev.exec.exe_dev, 0x45 | 259 << 8 | 0x12300 << 12);
}

TEST(exec_unknown_fd_kind_is_other)
{
	struct record_builder b;
	struct exec_payload p = {.stdio_type = {FD_KIND_MAX, 200, FD_KIND_OTHER}};

	rb_exec(&b, &p, "x");
	CHECK_INT(decode(&b), 0);
	CHECK_INT(ev.exec.stdio_type[0], FD_KIND_OTHER);
	CHECK_INT(ev.exec.stdio_type[1], FD_KIND_OTHER);
	CHECK_INT(ev.exec.stdio_type[2], FD_KIND_OTHER);
}

TEST(failed_exec_has_no_facts)
{
	struct record_builder b;
	struct exec_payload p = {.tty = 5, .exe_flags = EXE_DELETED, .cap_effective = 1,
				 .stdio_type = {FD_KIND_FILE, FD_KIND_FILE, FD_KIND_FILE}};
	struct event_header *h = rb_begin(&b, EVENT_EXEC, &p, sizeof(p));

	h->ret = -13;
	rb_cstr(&b, "/denied");
	CHECK_INT(decode(&b), 0);
	CHECK_INT(ev.exec.tty, 0);
	CHECK_INT(ev.exec.exe_flags, 0);
	CHECK(ev.exec.cap_effective == 0);
	CHECK_INT(ev.exec.stdio_type[0], FD_KIND_NONE);
}

TEST(fd_kind_names)
{
	CHECK(fd_kind_name(FD_KIND_NONE) == NULL);
	CHECK_STR(fd_kind_name(FD_KIND_FILE), "file");
	CHECK_STR(fd_kind_name(FD_KIND_DIRECTORY), "directory");
	CHECK_STR(fd_kind_name(FD_KIND_CHARDEV), "char");
	CHECK_STR(fd_kind_name(FD_KIND_BLOCKDEV), "block");
	CHECK_STR(fd_kind_name(FD_KIND_PIPE), "pipe");
	CHECK_STR(fd_kind_name(FD_KIND_IPV4), "ipv4");
	CHECK_STR(fd_kind_name(FD_KIND_IPV6), "ipv6");
	CHECK_STR(fd_kind_name(FD_KIND_UNIX), "unix");
	CHECK_STR(fd_kind_name(FD_KIND_NETLINK), "netlink");
	CHECK_STR(fd_kind_name(FD_KIND_SOCKET), "socket");
	CHECK_STR(fd_kind_name(FD_KIND_OTHER), "other");
	CHECK(fd_kind_name(FD_KIND_MAX) == NULL);
	CHECK(fd_kind_name(~0u) == NULL);
}

/* The facts as the exec event's JSON shows them. */
TEST(exec_facts_in_json)
{
	struct record_builder b;
	struct exec_payload p = {
		.stdio_type = {FD_KIND_IPV4, FD_KIND_UNIX, FD_KIND_NONE},
		.tty = 34816,
		.exe_ctime_ns = 1700000000123456789ULL,
		.exe_flags = EXE_FROM_MEMFD | EXE_DELETED,
		.cap_effective = 0x1ffffffffffULL,
	};
	struct event_context ctx = {.host = "h"};
	struct json_writer w;

	rb_exec(&b, &p, "x");
	CHECK_INT(decode(&b), 0);
	json_init(&w);
	event_json_write(&w, &ev, &ctx);
	CHECK(!w.failed);
	CHECK(w.buf && strstr(w.buf, "\"stdio\":[\"ipv4\",\"unix\",null]"));
	CHECK(w.buf && strstr(w.buf, "\"tty\":34816"));
	CHECK(w.buf && strstr(w.buf, "\"exe_ctime\":\"2023-11-14T22:13:20.123456789Z\""));
	CHECK(w.buf && !strstr(w.buf, "\"exe_mtime\""));	/* 0: not known */
	CHECK(w.buf && strstr(w.buf, "\"exe_flags\":[\"memfd\",\"deleted\"]"));
	CHECK(w.buf && strstr(w.buf, "\"cap_effective\":\"0x1ffffffffff\""));
	CHECK(w.buf && strstr(w.buf, "\"cap_permitted\":\"0x0\""));
	CHECK(w.buf && strstr(w.buf, "\"filename\":\"x\",\"argc\":1,"));
	json_free(&w);
}

TEST(relative_path_joined_with_base_and_normalised)
{
	struct record_builder b;
	struct file_payload p = {.dirfd = -100, .path_parts = 1, .base_parts = 2};

	rb_begin(&b, EVENT_UNLINK, &p, sizeof(p));
	rb_cstr(&b, "./sub/../x.txt");
	rb_cstr(&b, "dir");
	rb_cstr(&b, "tmp");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.file.path.ptr, "/tmp/dir/x.txt");
}

TEST(open_path_from_fd)
{
	struct record_builder b;
	struct file_payload p = {.path_parts = 2, .flags = 0101};
	struct event_header *h = rb_begin(&b, EVENT_OPEN, &p, sizeof(p));

	h->flags = HDR_FROM_FD;
	h->ret = 3;
	rb_cstr(&b, "shadow");
	rb_cstr(&b, "etc");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.file.path.ptr, "/etc/shadow");
	CHECK_INT(ev.file.flags, 0101);
}

TEST(rename_two_relative_paths)
{
	struct record_builder b;
	struct file_payload p = {.path_parts = 1, .base_parts = 1, .path2_parts = 1,
				 .base2_parts = 1};

	rb_begin(&b, EVENT_RENAME, &p, sizeof(p));
	rb_cstr(&b, "a");
	rb_cstr(&b, "one");
	rb_cstr(&b, "b");
	rb_cstr(&b, "two");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.file.path.ptr, "/one/a");
	CHECK_STR(ev.file.path2.ptr, "/two/b");
}

TEST(mount_has_fstype)
{
	struct record_builder b;
	struct file_payload p = {.path_parts = 1, .path2_parts = 1};

	rb_begin(&b, EVENT_MOUNT, &p, sizeof(p));
	rb_cstr(&b, "none");
	rb_cstr(&b, "/mnt/x");
	rb_cstr(&b, "tmpfs");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.file.path.ptr, "none");
	CHECK_STR(ev.file.path2.ptr, "/mnt/x");
	CHECK_STR(ev.file.fstype.ptr, "tmpfs");
}

TEST(truncated_path_marked)
{
	struct record_builder b;
	struct file_payload p = {.path_parts = 1};
	char big[4096];

	memset(big, 'a', sizeof(big));
	rb_begin(&b, EVENT_OPEN, &p, sizeof(p));
	rb_str(&b, big, sizeof(big), 1);
	CHECK_INT(decode(&b), 0);
	CHECK(ev.file.path.truncated);
	CHECK_INT(ev.file.path.len, 4096);
}

TEST(abstract_unix_socket_gets_at_sign)
{
	struct record_builder b;
	struct net_payload p = {.family = AF_UNIX};

	p.remote.pad = 1;
	rb_begin(&b, EVENT_CONNECT, &p, sizeof(p));
	rb_cstr(&b, "bus");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.net.remote.unix_path.ptr, "@bus");
}

TEST(inet_addresses_copied)
{
	struct record_builder b;
	struct net_payload p = {.family = AF_INET, .protocol = 6};

	p.remote.addr[0] = 10;
	p.remote.addr[3] = 7;
	p.remote.port = 443;
	rb_begin(&b, EVENT_CONNECT, &p, sizeof(p));
	CHECK_INT(decode(&b), 0);
	CHECK_INT(ev.net.remote.port, 443);
	CHECK_INT(ev.net.remote.addr[0], 10);
	CHECK_INT(ev.net.remote.addr[3], 7);
	CHECK_INT(ev.net.remote.family, AF_INET);
}

TEST(malformed_records_refused)
{
	struct record_builder b;
	struct file_payload p = {.path_parts = 1};
	struct event_header *h;

	/* shorter than a header */
	CHECK_INT(event_decode(&ev, "abc", 3, 0, err, sizeof(err)), -1);
	/* unknown type */
	h = rb_begin(&b, EVENT_TYPE_MAX, &p, sizeof(p));
	CHECK_INT(decode(&b), -1);
	/* size larger than the buffer */
	h = rb_begin(&b, EVENT_OPEN, &p, sizeof(p));
	rb_cstr(&b, "/x");
	h->size = b.len + 10;
	CHECK_INT(decode(&b), -1);
	/* string length past the end */
	h = rb_begin(&b, EVENT_OPEN, &p, sizeof(p));
	rb_cstr(&b, "/abc");
	b.len -= 2;
	h->size = b.len;
	CHECK_INT(decode(&b), -1);
	/* fewer strings than the payload promises */
	p.base_parts = 3;
	h = rb_begin(&b, EVENT_OPEN, &p, sizeof(p));
	rb_cstr(&b, "rel");
	CHECK_INT(decode(&b), -1);
	/* more components than a walk can produce */
	p.path_parts = DENTRY_DEPTH + 1;
	p.base_parts = 0;
	h = rb_begin(&b, EVENT_OPEN, &p, sizeof(p));
	h->flags = HDR_FROM_FD;
	CHECK_INT(decode(&b), -1);
	CHECK(strlen(err) > 0);
}

TEST(setns_names_the_namespace)
{
	struct record_builder b;
	struct generic_payload p = {.ns_inum = 4026531838ULL};

	rb_begin(&b, EVENT_SETNS, &p, sizeof(p));
	rb_cstr(&b, "uts");
	CHECK_INT(decode(&b), 0);
	CHECK_STR(ev.generic.path.ptr, "uts:[4026531838]");
}

TEST(path_join_cases)
{
	char out[64];

	path_join_normalize(out, sizeof(out), "/a/b", 4, "../c", 4);
	CHECK_STR(out, "/a/c");
	path_join_normalize(out, sizeof(out), "/", 1, "../../x", 7);
	CHECK_STR(out, "/x");
	path_join_normalize(out, sizeof(out), "/a", 2, "b//c/./", 7);
	CHECK_STR(out, "/a/b/c");
	path_join_normalize(out, sizeof(out), "/a", 2, "..", 2);
	CHECK_STR(out, "/");
	/* output cut at capacity, still terminated */
	path_join_normalize(out, 8, "/abcdef", 7, "ghijkl", 6);
	CHECK(strlen(out) < 8);
}

int main(void)
{
	event_init(&ev);
	RUN(exec_joins_components_leaf_first);
	RUN(exec_args_truncation_is_kept);
	RUN(failed_exec_has_only_filename);
	RUN(exec_facts_decoded);
	RUN(exec_dev_with_large_minor_encoded_like_stat);
	RUN(exec_unknown_fd_kind_is_other);
	RUN(failed_exec_has_no_facts);
	RUN(fd_kind_names);
	RUN(exec_facts_in_json);
	RUN(relative_path_joined_with_base_and_normalised);
	RUN(open_path_from_fd);
	RUN(rename_two_relative_paths);
	RUN(mount_has_fstype);
	RUN(truncated_path_marked);
	RUN(abstract_unix_socket_gets_at_sign);
	RUN(inet_addresses_copied);
	RUN(malformed_records_refused);
	RUN(setns_names_the_namespace);
	RUN(path_join_cases);
	event_release(&ev);
	return TEST_SUMMARY();
}
