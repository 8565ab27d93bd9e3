/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/* net.bpf.h - connect, bind (address from the caller), accept, listen
 * (addresses from the socket). */

struct sockaddr_min {
	__u16 family;
	__u16 port;		/* network order */
	__u32 addr4;
	__u32 flowinfo6;	/* sockaddr_in6: flowinfo then addr */
	__u8 addr6[16];
};

/* The socket behind fd, typed so field reads are plain loads. */
static __always_inline struct sock *fd_to_sock(int fd)
{
	struct file *file = fd_to_file(fd);
	struct socket *sock;

	if (!file || (file->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = kernel_cast(file->private_data, struct socket);
	return sock->sk;
}

static __always_inline void sock_fill(struct net_payload *np, struct sock *sk,
				      bool local, bool remote)
{
	struct sock_common *c;

	if (!sk)
		return;
	c = &sk->__sk_common;
	np->family = c->skc_family;
	np->type = sk->sk_type;
	np->protocol = sk->sk_protocol;
	if (np->family == AF_INET) {
		if (local) {
			__u32 a = c->skc_rcv_saddr;
			__builtin_memcpy(np->local.addr, &a, 4);
			np->local.port = c->skc_num;
		}
		if (remote) {
			__u32 a = c->skc_daddr;
			__builtin_memcpy(np->remote.addr, &a, 4);
			np->remote.port = bpf_ntohs(c->skc_dport);
		}
	} else if (np->family == AF_INET6) {
		if (local) {
			BPF_CORE_READ_INTO(&np->local.addr, c, skc_v6_rcv_saddr);
			np->local.port = c->skc_num;
		}
		if (remote) {
			BPF_CORE_READ_INTO(&np->remote.addr, c, skc_v6_daddr);
			np->remote.port = bpf_ntohs(c->skc_dport);
		}
	}
}

/* Read a sockaddr from the caller into addr; a unix path becomes a string. */
static __always_inline void put_user_sockaddr(struct scratch *s,
					      struct net_payload *np,
					      struct net_addr *addr,
					      const void *uaddr, __u32 len)
{
	struct sockaddr_min sa = {};

	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr) != 0)
		return;
	if (!np->family)
		np->family = sa.family;
	if (sa.family == AF_INET) {
		__builtin_memcpy(addr->addr, &sa.addr4, 4);
		addr->port = bpf_ntohs(sa.port);
	} else if (sa.family == AF_INET6) {
		__builtin_memcpy(addr->addr, sa.addr6, 16);
		addr->port = bpf_ntohs(sa.port);
	} else if (sa.family == AF_UNIX && len > 2) {
		/* sun_path: 108 bytes; abstract names start with NUL, which
		 * user space shows as '@' (read from offset 3 then) */
		char first = 0;

		bpf_probe_read_user(&first, 1, uaddr + 2);
		if (first == 0) {
			addr->pad = 1;	/* abstract */
			put_str(s, uaddr + 3, 108, true);
		} else {
			put_str(s, uaddr + 2, 109, true);
		}
	}
}

SEC("raw_tp")
int vigil_exit_sockaddr(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct net_payload *np;
	bool is_connect;
	int fd;

	if (!exit_take(ctx, &x))
		return 0;
	is_connect = x.p.nr == 42;
	np = exit_record(&x, is_connect ? EVENT_CONNECT : EVENT_BIND,
			 struct net_payload);
	fd = x.p.args[0];
	np->fd = fd;
	/* connect: remote as the caller asked, local as the kernel chose;
	 * bind: as asked, then as bound (port 0 becomes the real port) */
	sock_fill(np, fd_to_sock(fd), is_connect, false);
	put_user_sockaddr(x.s, np, is_connect ? &np->remote : &np->local,
			  (const void *)x.p.args[1], x.p.args[2]);
	if (!is_connect && x.ret == 0 && np->family != AF_UNIX)
		sock_fill(np, fd_to_sock(fd), true, false);
	record_emit(x.s);
	return 0;
}

SEC("raw_tp")
int vigil_exit_sockfd(struct bpf_raw_tracepoint_args *ctx)
{
	struct exit_ctx x;
	struct net_payload *np;
	bool is_listen;
	int fd;

	if (!exit_take(ctx, &x))
		return 0;
	is_listen = x.p.nr == 50;
	/* a non-blocking accept with nothing queued is not an event */
	if (!is_listen && x.ret == -11)
		return 0;
	np = exit_record(&x, is_listen ? EVENT_LISTEN : EVENT_ACCEPT,
			 struct net_payload);
	fd = is_listen || x.ret < 0 ? (int)x.p.args[0] : (int)x.ret;
	np->fd = fd;
	if (is_listen)
		np->backlog = x.p.args[1];
	sock_fill(np, fd_to_sock(fd), true, !is_listen);
	record_emit(x.s);
	return 0;
}
