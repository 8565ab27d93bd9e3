/* test_decode.c - the record decoder: every payload shape, path joins,
 * and malformed records refused without reading out of bounds. */
#include <stdlib.h>
#include <sys/socket.h>

#include "test.h"
#include "record_builder.h"
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
