/* SPDX-License-Identifier: MIT */
/*
 * Named network namespaces, made the way "ip netns add" makes them: a
 * namespace bind-mounted on <netnsDir>/<name>, with <netnsDir> a shared
 * mount point so the mount propagates to the mount namespaces of services.
 *
 * Creation is atomic from the outside: the namespace is prepared while
 * vpnconf is inside it and still anonymous (loopback up, sysctls, the
 * deny-by-default nftables policy, the ownership marker), and only then
 * bind-mounted under its name. A crash before the mount leaves nothing: an
 * anonymous namespace dies with the process. No instant exists in which
 * the named namespace lacks its policy.
 *
 * A Netns caches one netlink socket per protocol, created inside that
 * namespace (a netlink socket talks to the namespace it was created in).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct nl_sock;
typedef struct NftSocket NftSocket;
typedef struct WgSocket WgSocket;

typedef struct Netns {
	char *name; /* NULL for the namespace vpnconf runs in */
	char *path; /* bind mount path, NULL for self */
	int fd;     /* nsfs fd, O_RDONLY|O_CLOEXEC */
	dev_t dev;  /* nsfs dev + inode: what /proc/PID/ns/net shows; the kernel */
	ino_t ino;  /* gives a freed inode number to the next namespace */
	uint64_t cookie; /* SO_NETNS_COOKIE, 0 until netns_cookie() read it */
	struct nl_sock *rtnl;
	NftSocket *nft;
	WgSocket *wg;
} Netns;

/* The namespace vpnconf runs in ("init" in the desired state). */
int netns_open_self(Netns **ret);
/* Opens <dir>/<name>; name must be a valid namespace name
 * (namespace_name_is_valid(), -EINVAL otherwise: no path leaves dir;
 * the same holds for netns_create(), netns_delete() and
 * netns_remove_placeholder()). -ENOENT when absent; -ENOMEDIUM when the path exists
 * but holds no namespace (a zero-length placeholder left by an interrupted
 * creation, see netns_create()); -ENOTTY for anything else there. */
int netns_open(const char *dir, const char *name, Netns **ret);

typedef int (*NetnsPrepare)(Netns *n, void *userdata);
/* Creates a new namespace, runs prepare(n, userdata) with the calling
 * thread inside it, then bind-mounts it on <dir>/<name>. -EEXIST when a
 * namespace is already mounted there. A zero-length placeholder file
 * (which holds no namespace) is replaced. On any failure nothing is left
 * under <dir>. The returned Netns keeps the sockets prepare() opened. */
int netns_create(const char *dir, const char *name, NetnsPrepare prepare, void *userdata,
		 Netns **ret);
/* Unmounts (lazily: processes still inside keep the namespace alive, with
 * everything in it) and removes <dir>/<name>. -ENOENT when absent. */
int netns_delete(const char *dir, const char *name);
/* Removes a zero-length placeholder at <dir>/<name>. */
int netns_remove_placeholder(const char *dir, const char *name);

Netns *netns_free(Netns *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(Netns *, netns_free);

/* Moves the calling thread into n; *ret_saved receives an fd of the
 * namespace it was in. netns_leave() returns there and closes it; failing
 * to return is fatal (abort), since every later call would act on the
 * wrong namespace. */
int netns_enter(const Netns *n, int *ret_saved);
void netns_leave(int *saved);

/* A socket created inside n. */
int netns_socket(const Netns *n, int domain, int type, int protocol);

/* The namespace's cookie (SO_NETNS_COOKIE, Linux 5.14): a 64-bit number
 * the kernel gives each network namespace once and never reuses, unlike
 * the nsfs inode number, which the next namespace created gets as soon as
 * this one is gone. vpnconf's ownership markers record it. Cached in n. */
int netns_cookie(Netns *n, uint64_t *ret);

/* Does any process (other than the caller) have n as the network
 * namespace of any of its threads? Scans /proc/<pid>/task/<tid>/ns/net (a
 * thread may have entered n while its process's main thread is
 * elsewhere): NETNS_USERS_SOME when one does, NETNS_USERS_NONE
 * when none does, NETNS_USERS_UNKNOWN when none vpnconf could inspect does
 * but some could not be inspected (permission denied). */
enum {
	NETNS_USERS_NONE,
	NETNS_USERS_SOME,
	NETNS_USERS_UNKNOWN,
};
int netns_in_use(const Netns *n);

/* Lazily created per-protocol sockets of n (owned by n). */
int netns_rtnl(Netns *n, struct nl_sock **ret);
int netns_nft(Netns *n, NftSocket **ret);
int netns_wg(Netns *n, WgSocket **ret);
