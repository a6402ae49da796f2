/* SPDX-License-Identifier: MIT */
/*
 * WireGuard devices over generic netlink (the "wireguard" family), with
 * libmnl: no wg(8) processes.
 *
 *  - WgDevice is both what the kernel reports (a dump, whose peers may be
 *    split across several messages and are joined here) and what
 *    vpnconf wants, so that the diff is a pure function of two WgDevices.
 *  - wg_diff() computes the minimal change, the way "wg syncconf" does:
 *    only what differs is sent, and a live peer is never removed and
 *    re-added because its allowed IPs or keepalive changed (that would
 *    drop its session).
 *  - Private and preshared keys are secrets: WgDevice wipes them when
 *    freed, and nothing in this module formats them.
 *
 * Link creation, moving and deletion are rtnetlink operations (link.h);
 * this module only configures an existing device.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "desired.h"
#include "ipaddr.h"

typedef union WgSockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
} WgSockaddr;

#define WG_ENDPOINT_STRLEN (IPADDR_STRLEN + sizeof("[]:65535%4294967295"))
/* Same family, address, port (and IPv6 scope); two AF_UNSPEC are equal. */
bool wg_endpoint_equal(const WgSockaddr *a, const WgSockaddr *b);
/* "192.0.2.1:51820", "[2001:db8::1]:51820", or "(none)". */
const char *wg_endpoint_to_string(const WgSockaddr *e, char buf[static WG_ENDPOINT_STRLEN]);

/* Flags of a peer inside a change set (a WgDevice produced by wg_diff). */
typedef enum WgPeerChange {
	WG_PEER_CHANGE_REMOVE = 1 << 0,           /* WGPEER_F_REMOVE_ME */
	WG_PEER_CHANGE_REPLACE_ALLOWED_IPS = 1 << 1, /* WGPEER_F_REPLACE_ALLOWEDIPS */
	WG_PEER_CHANGE_UPDATE_ONLY = 1 << 2,      /* WGPEER_F_UPDATE_ONLY */
	WG_PEER_CHANGE_PRESHARED_KEY = 1 << 3,    /* send preshared_key */
	WG_PEER_CHANGE_ENDPOINT = 1 << 4,         /* send endpoint */
	WG_PEER_CHANGE_KEEPALIVE = 1 << 5,        /* send persistent_keepalive */
} WgPeerChange;

typedef struct WgPeer {
	uint8_t public_key[WG_KEY_LEN];
	bool has_preshared_key;
	uint8_t preshared_key[WG_KEY_LEN]; /* secret */
	WgSockaddr endpoint; /* sa_family AF_UNSPEC: none */
	uint16_t persistent_keepalive;
	IpPrefix *allowed_ips;
	size_t n_allowed_ips;
	/* Observed only: */
	uint64_t last_handshake_usec; /* CLOCK_REALTIME, 0: never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	/* Change sets only: */
	unsigned change; /* WgPeerChange flags */
} WgPeer;

typedef enum WgDeviceChange {
	WG_DEVICE_CHANGE_PRIVATE_KEY = 1 << 0,
	WG_DEVICE_CHANGE_LISTEN_PORT = 1 << 1,
	WG_DEVICE_CHANGE_FWMARK = 1 << 2,
	WG_DEVICE_CHANGE_REPLACE_PEERS = 1 << 3, /* WGDEVICE_F_REPLACE_PEERS */
} WgDeviceChange;

typedef struct WgDevice {
	char ifname[IFNAMSIZ];
	uint32_t ifindex;
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN]; /* secret */
	bool has_public_key;
	uint8_t public_key[WG_KEY_LEN];
	uint16_t listen_port; /* 0: random (desired) / unknown */
	uint32_t fwmark;
	WgPeer *peers; /* sorted by public key after wg_device_sort() */
	size_t n_peers;
	unsigned change; /* change sets only: WgDeviceChange flags */
} WgDevice;

/* Wipes keys and frees. */
WgDevice *wg_device_free(WgDevice *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(WgDevice *, wg_device_free);
/* Appends a zeroed peer and returns it (peers arrays are only ever grown
 * by this function). The array never passes through realloc(), so no copy
 * of a preshared key is left behind in freed memory. */
WgPeer *wg_device_add_peer(WgDevice *d);
/* Sorts peers by public key and each peer's allowed IPs (ipprefix order). */
void wg_device_sort(WgDevice *d);

/* Pure: the minimal change set that turns have into want (have NULL: a
 * fresh device, everything set with REPLACE_PEERS). *ret is NULL when
 * nothing differs. Appends one line per difference to *differences
 * ("peer AbCd…=: endpoint 192.0.2.1:51820 -> 192.0.2.2:51820",
 * "private key differs", never key material other than public keys).
 * want->listen_port 0 means "any" and never differs. */
int wg_diff(const WgDevice *want, const WgDevice *have, char ***differences, WgDevice **ret);

/* Message building (pure). A change set can exceed one netlink message
 * (many peers or allowed IPs): the builder splits it the way the kernel
 * accepts (device attributes in the first message; later messages carry
 * the remaining peers/allowed IPs without REPLACE flags). */
#define WG_MESSAGE_SIZE_MAX 4096U /* fixed, so that the split is reproducible */
typedef struct WgMessages WgMessages;
WgMessages *wg_messages_free(WgMessages *m); /* wipes the buffers */
DEFINE_TRIVIAL_CLEANUP_FUNC(WgMessages *, wg_messages_free);
/* Message i carries sequence number seq + i. */
int wg_build_set_device(uint16_t family_id, uint32_t seq, const WgDevice *change,
			WgMessages **ret);
int wg_build_get_device(uint16_t family_id, uint32_t seq, const char *ifname, WgMessages **ret);
size_t wg_messages_count(const WgMessages *m);
const void *wg_message_data(const WgMessages *m, size_t i, size_t *ret_size);
/* Parses one WG_CMD_GET_DEVICE reply message into *d, appending peers and
 * allowed IPs; a peer continued from the previous message (same public
 * key as the last peer) is joined. */
int wg_parse_device_message(const void *nlmsg, size_t size, WgDevice *d);

/* Kernel I/O over a NETLINK_GENERIC socket of one network namespace. */
typedef struct WgSocket WgSocket;
/* Takes ownership of fd (a NETLINK_GENERIC socket) on success; resolves
 * the "wireguard" family (-EPROTONOSUPPORT when the kernel lacks it). */
int wg_socket_open_fd(int fd, WgSocket **ret);
int wg_socket_open(WgSocket **ret);
WgSocket *wg_socket_free(WgSocket *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(WgSocket *, wg_socket_free);
/* -ENODEV when no such device in the socket's namespace. */
int wg_get_device(WgSocket *s, const char *ifname, WgDevice **ret);
int wg_set_device(WgSocket *s, const WgDevice *change);

/* Keys. A key file holds the base64 key (44 chars), optionally followed
 * by a newline. With require_private, a group- or world-readable file is
 * -EPERM (the highAssurance rule). Symlinks are followed as the kernel
 * opens them; the mode checked is the target's. Anything but a regular
 * file is -EISDIR or -EBADFD, and a FIFO never blocks (O_NONBLOCK). The
 * process becomes non-dumpable first (secrets_protect_process()). */
int wg_key_read_file(const char *path, bool require_private, uint8_t ret[static WG_KEY_LEN]);
/* Creates path atomically (0600, getrandom, clamped curve25519 private
 * key) unless it exists; returns 1 when created, 0 when it existed. */
int wg_key_generate_file(const char *path);
/* Builds the desired WgDevice for ns: keys are read from their files
 * (private key mandatory, preshared keys when configured), endpoints must
 * already be literal (resolved by the caller: resolved[i] for peer i, or
 * NULL to use the literal one). A missing private key file that
 * generatePrivateKeyFile will create gives a device without private key
 * (has_private_key false) instead of an error. On failure *ret_error_path
 * names the
 * offending JSON path ("namespaces.x.wireguard.privateKeyFile"), newly
 * allocated; it is set on failure only. */
int wg_device_from_desired(const Namespace *ns, const WgSockaddr *resolved, WgDevice **ret,
			   char **ret_error_path);
