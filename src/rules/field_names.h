/* field_names.h - Falco's symbolic spellings of numeric syscall arguments. */
#ifndef VIGIL_RULES_FIELD_NAMES_H
#define VIGIL_RULES_FIELD_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "O_WRONLY|O_CREAT|O_TRUNC" into buf (cap bytes, NUL-terminated); returns the length. */
size_t render_open_flags(uint32_t flags, char *buf, size_t cap);
/* "S_ISUID|S_IRUSR|..." (permission and special bits only). */
size_t render_file_mode(uint32_t mode, char *buf, size_t cap);
/* "CAP_CHOWN CAP_SYS_ADMIN ..." */
size_t render_capabilities(uint64_t caps, char *buf, size_t cap);
/* "PTRACE_ATTACH"; NULL when unknown. */
const char *ptrace_request_name(uint64_t req);
/* "BPF_PROG_LOAD"; NULL when unknown. */
const char *bpf_cmd_name(uint64_t cmd);
/* "ENOENT"; NULL when unknown. */
const char *errno_name(int err);

#endif
