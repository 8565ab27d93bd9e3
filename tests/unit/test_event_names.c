/* test_event_names.c - event type names, masks, x86_64 syscall names. */
#include <stdint.h>

#include "sensor/event_names.h"
#include "test.h"

static const char *const expected_names[] = {
	"exec", "fork", "exit", "open", "unlink", "rename", "chmod", "chown",
	"mkdir", "link", "symlink", "mount", "memfd", "connect", "accept",
	"bind", "listen", "setuid", "capset", "ptrace", "module", "unshare",
	"setns", "bpf", "kill", "container_start", "container_stop",
};

TEST(names_follow_enum_order)
{
	CHECK_INT(sizeof(expected_names) / sizeof(expected_names[0]), EVENT_TYPE_MAX - 1);
	for (int t = EVENT_EXEC; t < EVENT_TYPE_MAX; t++) {
		CHECK_STR(event_type_name((enum event_type)t), expected_names[t - 1]);
		CHECK_INT(event_type_from_name(expected_names[t - 1]), t);
	}
	CHECK_STR(event_type_name(EVENT_EXEC), "exec");
	CHECK_STR(event_type_name(EVENT_KILL), "kill");
	CHECK_INT(event_type_from_name("connect"), EVENT_CONNECT);
}

TEST(unknown_names_and_values)
{
	CHECK_STR(event_type_name(EVENT_NONE), "unknown");
	CHECK_STR(event_type_name(EVENT_TYPE_MAX), "unknown");
	CHECK_STR(event_type_name((enum event_type)-1), "unknown");
	CHECK_STR(event_type_name((enum event_type)1000), "unknown");
	CHECK_INT(event_type_from_name("unknown"), -1);
	CHECK_INT(event_type_from_name(""), -1);
	CHECK_INT(event_type_from_name("EXEC"), -1);
	CHECK_INT(event_type_from_name("all"), -1);
	CHECK_INT(event_type_from_name("exec "), -1);
}

TEST(mask_parse_lists)
{
	char err[512] = "";
	uint64_t mask = 0;

	CHECK_INT(event_mask_parse("exec,open,connect", &mask, err, sizeof(err)), 0);
	CHECK(mask == ((UINT64_C(1) << EVENT_EXEC) | (UINT64_C(1) << EVENT_OPEN) |
		       (UINT64_C(1) << EVENT_CONNECT)));
	CHECK_INT(event_mask_parse(" exec ,\topen ", &mask, err, sizeof(err)), 0);
	CHECK(mask == ((UINT64_C(1) << EVENT_EXEC) | (UINT64_C(1) << EVENT_OPEN)));
	CHECK_INT(event_mask_parse("kill", &mask, err, sizeof(err)), 0);
	CHECK(mask == UINT64_C(1) << EVENT_KILL);
	CHECK_INT(event_mask_parse("exec,exec", &mask, err, sizeof(err)), 0);
	CHECK(mask == UINT64_C(1) << EVENT_EXEC);
}

TEST(mask_parse_all)
{
	char err[512];
	uint64_t mask = 0;

	CHECK_INT(event_mask_parse("all", &mask, err, sizeof(err)), 0);
	CHECK(mask == EVENT_MASK_ALL);
	CHECK(!(mask & 1));				/* EVENT_NONE is no event */
	CHECK(mask & (UINT64_C(1) << EVENT_KILL));
	CHECK(!(mask & (UINT64_C(1) << EVENT_TYPE_MAX)));
	CHECK_INT(__builtin_popcountll(mask), EVENT_TYPE_MAX - 1);
	CHECK_INT(event_mask_parse("exec, all", &mask, err, sizeof(err)), 0);
	CHECK(mask == EVENT_MASK_ALL);
}

TEST(mask_parse_errors)
{
	char err[512];
	uint64_t mask = 42;

	CHECK_INT(event_mask_parse("exec,opn", &mask, err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown event 'opn' (known: exec, fork, exit,") == err);
	CHECK(strstr(err, "container_stop, all)") != NULL);
	CHECK(mask == 42);				/* untouched on error */

	CHECK_INT(event_mask_parse("exec,,open", &mask, err, sizeof(err)), -1);
	CHECK(strstr(err, "empty item") != NULL);
	CHECK_INT(event_mask_parse("exec,", &mask, err, sizeof(err)), -1);
	CHECK_INT(event_mask_parse(",exec", &mask, err, sizeof(err)), -1);
	CHECK_INT(event_mask_parse("", &mask, err, sizeof(err)), -1);
	CHECK(strstr(err, "no events") != NULL);
	CHECK_INT(event_mask_parse("  ", &mask, err, sizeof(err)), -1);
	CHECK_INT(event_mask_parse("exec open", &mask, err, sizeof(err)), -1);
	CHECK(strstr(err, "'exec open'") != NULL);
	CHECK_INT(event_mask_parse("averyveryverylongeventname", &mask, err, sizeof(err)), -1);
	CHECK(strstr(err, "'averyveryverylongeventname'") != NULL);
	CHECK(mask == 42);
}

TEST(mask_parse_small_error_buffer)
{
	char err[8];
	uint64_t mask;

	CHECK_INT(event_mask_parse("nope", &mask, err, sizeof(err)), -1);
	CHECK_INT(strlen(err), 7);			/* truncated, terminated */
	CHECK_INT(event_mask_parse("nope", &mask, NULL, 0), -1);
}

TEST(syscall_names)
{
	CHECK_STR(syscall_name_x86_64(0), "read");
	CHECK_STR(syscall_name_x86_64(1), "write");
	CHECK_STR(syscall_name_x86_64(2), "open");
	CHECK_STR(syscall_name_x86_64(42), "connect");
	CHECK_STR(syscall_name_x86_64(59), "execve");
	CHECK_STR(syscall_name_x86_64(257), "openat");
	CHECK_STR(syscall_name_x86_64(321), "bpf");
	CHECK_STR(syscall_name_x86_64(322), "execveat");
	CHECK_STR(syscall_name_x86_64(334), "rseq");
	CHECK_STR(syscall_name_x86_64(424), "pidfd_send_signal");
	CHECK_STR(syscall_name_x86_64(435), "clone3");
	CHECK_STR(syscall_name_x86_64(437), "openat2");
	CHECK_STR(syscall_name_x86_64(450), "set_mempolicy_home_node");
	CHECK_STR(syscall_name_x86_64(452), "fchmodat2");
	CHECK_STR(syscall_name_x86_64(460), "lsm_set_self_attr");
	CHECK_STR(syscall_name_x86_64(462), "mseal");
	CHECK(syscall_name_x86_64(400) == NULL);	/* reserved range */
	CHECK(syscall_name_x86_64(-1) == NULL);
	CHECK(syscall_name_x86_64(0xffff) == NULL);	/* "not a syscall" marker */
	CHECK(syscall_name_x86_64(100000) == NULL);
}

TEST(syscall_numbers)
{
	CHECK_INT(syscall_number_x86_64("read"), 0);
	CHECK_INT(syscall_number_x86_64("execve"), 59);
	CHECK_INT(syscall_number_x86_64("openat"), 257);
	CHECK_INT(syscall_number_x86_64("ptrace"), 101);
	CHECK_INT(syscall_number_x86_64("finit_module"), 313);
	CHECK_INT(syscall_number_x86_64("memfd_create"), 319);
	CHECK_INT(syscall_number_x86_64("no_such_call"), -1);
	CHECK_INT(syscall_number_x86_64(""), -1);
}

TEST(syscall_table_round_trips)
{
	int named = 0;

	for (int nr = 0; nr < 1024; nr++) {
		const char *name = syscall_name_x86_64(nr);
		if (!name)
			continue;
		named++;
		CHECK_INT(syscall_number_x86_64(name), nr);
	}
	/* 0..336 and 424..470 */
	CHECK_INT(named, 337 + 47);
}

int main(void)
{
	RUN(names_follow_enum_order);
	RUN(unknown_names_and_values);
	RUN(mask_parse_lists);
	RUN(mask_parse_all);
	RUN(mask_parse_errors);
	RUN(mask_parse_small_error_buffer);
	RUN(syscall_names);
	RUN(syscall_numbers);
	RUN(syscall_table_round_trips);
	return TEST_SUMMARY();
}
