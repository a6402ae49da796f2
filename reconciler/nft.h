/* SPDX-License-Identifier: MIT */
/*
 * nftables objects owned by vpnconf, built with libnftnl and sent with
 * libmnl in one atomic batch per table.
 *
 *  - The namespace policy: table "inet vpnconf" inside a confinement
 *    namespace (docs/policy.md describes every rule).
 *  - The lockdown table: same name, drops everything but loopback; what a
 *    namespace falls back to when a rollback cannot finish.
 *  - The endpoint-pinning table "inet vpnconf-pin-<namespace>" in the
 *    WireGuard socket's birthplace namespace: UDP carrying the tunnel's
 *    fwmark may only reach the configured literal endpoints.
 *  - The host-side table "inet vpnconf-host-<namespace>" in the namespace
 *    vpnconf runs in: what arrives on the host end of the host link is
 *    dropped unless it replies to a connection the host opened to a
 *    published port, and nothing is forwarded from or to it (raw frames
 *    sent from inside pass no hook of the namespace).
 *
 * Building and comparing are pure (no syscalls); message building is
 * separate from sending so that batches are tested against golden bytes.
 * A table is always replaced inside one kernel transaction (NEWTABLE,
 * DELTABLE, NEWTABLE, chains, sets, elements, rules, in one batch), so
 * there is never an instant without policy.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "desired.h"

#define NFT_POLICY_TABLE "vpnconf"
#define NFT_PIN_TABLE_PREFIX "vpnconf-pin-"
#define NFT_HOST_TABLE_PREFIX "vpnconf-host-"
/* The policy's sets of forwarded ports (portForwarding), whose elements
 * admit inbound traffic on the tunnel interface. */
#define NFT_SET_FORWARDED_TCP "forwarded_tcp"
#define NFT_SET_FORWARDED_UDP "forwarded_udp"

typedef enum NftTableKind {
	NFT_TABLE_POLICY,
	NFT_TABLE_LOCKDOWN,
	NFT_TABLE_PIN,
	NFT_TABLE_HOST,
	NFT_TABLE_FOREIGN, /* observed, not built by vpnconf (or unrecognised) */
	_NFT_TABLE_KIND_MAX,
	_NFT_TABLE_KIND_INVALID = -EINVAL,
} NftTableKind;

/* A complete table: the table itself, its chains, sets with their
 * elements, and rules, in an internal representation that both the
 * builders and the kernel dump produce. Opaque. */
typedef struct NftTable NftTable;

/* Tables are reference counted: plans share observed tables as the
 * inverse of a replacement. nft_table_free() drops one reference. */
NftTable *nft_table_ref(NftTable *t);
NftTable *nft_table_free(NftTable *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(NftTable *, nft_table_free);

/* Pure builders. */
int nft_policy_build(const Namespace *ns, NftTable **ret);
int nft_lockdown_build(NftTable **ret);
/* Endpoint pinning for ns (requires ns->wg.pinning_enable and literal
 * endpoints; resolved hostname endpoints are never pinned): admits every
 * endpoint of every peer, peers[].endpoints included. */
int nft_pin_build(const Namespace *ns, NftTable **ret);
/* "vpnconf-pin-<namespace>", newly allocated. */
char *nft_pin_table_name(const char *ns_name);
/* The host-side table of ns's host link (requires ns->host_if). With an
 * effective host link and published ports it lets through the replies of
 * the host's connections to them; the sealed variant (and a namespace
 * without host link) lets nothing through. */
int nft_host_build(const Namespace *ns, NftTable **ret);
int nft_host_sealed_build(const Namespace *ns, NftTable **ret);
/* "vpnconf-host-<namespace>", newly allocated. */
char *nft_host_table_name(const char *ns_name);
/* The host interface an observed host-side table filters (what a
 * namespace no longer desired had as hostLink.hostIf). -EINVAL unless the
 * table is vpnconf's and names a valid interface exactly as built. */
int nft_host_table_ifname(const NftTable *t, char ret[static IFNAMSIZ]);

const char *nft_table_name(const NftTable *t);
NftTableKind nft_table_kind(const NftTable *t);
/* One-line summary for journals and plans: "3 chains, 21 rules, 9 sets,
 * 14 elements". Newly allocated. */
char *nft_table_summary(const NftTable *t);

/* Pure comparison: appends one human-readable line per difference (e.g.
 * "chain output: rule 7 missing: oifname \"wg0\" accept",
 * "set allowed_ipv4_cidrs: element 10.1.0.0/16 missing",
 * "set allowed_ipv4_cidrs: unexpected element 10.9.0.0-10.9.0.255") to
 * *differences and returns how many it appended (0: equal). */
int nft_table_diff(const NftTable *want, const NftTable *have, char ***differences);

/* Message building (pure). The batch replaces (creates if absent) the
 * table atomically; buffers are owned by the NftBatch. An observed table
 * can be rebuilt when it holds only what vpnconf itself builds; one with
 * anything else (foreign expressions, maps, catch-all elements, ...) gives
 * -EOPNOTSUPP rather than an inexact copy. */
typedef struct NftBatch NftBatch;
NftBatch *nft_batch_free(NftBatch *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(NftBatch *, nft_batch_free);
int nft_batch_build_replace(const NftTable *t, uint32_t seq, NftBatch **ret);
/* Creates the table where none exists (EEXIST otherwise): for a fresh
 * namespace, where nothing is to be replaced. */
int nft_batch_build_create(const NftTable *t, uint32_t seq, NftBatch **ret);
int nft_batch_build_delete(const char *table_name, uint32_t seq, NftBatch **ret);
/* Deletes table "name" of family ("inet", "ip", "ip6", "arp", "bridge",
 * "netdev"): for tables that are not vpnconf's. */
int nft_batch_build_delete_any(const char *family, const char *table_name, uint32_t seq,
			       NftBatch **ret);
/* A lease change of port forwarding (docs/port-forwarding.md): one
 * transaction that removes old_port (0: none) from and adds new_port (0:
 * none) to the policy table's forwarded_tcp (tcp) and forwarded_udp (udp)
 * sets. The table is not replaced and nothing else changes, so no packet
 * of any other flow meets a moment without policy. Removing an absent
 * element is not an error. When a set is missing (a lockdown table, say)
 * the kernel refuses the whole transaction and nothing opens. */
int nft_batch_build_forwarded(bool tcp, bool udp, uint16_t old_port, uint16_t new_port,
			      uint32_t seq, NftBatch **ret);
/* The batch as one contiguous byte array (golden tests, sending). */
const void *nft_batch_data(const NftBatch *b, size_t *ret_size);
/* Number of messages in the batch (begin/end included). */
unsigned nft_batch_messages(const NftBatch *b);

/* Kernel I/O over a NETLINK_NETFILTER socket that belongs to one network
 * namespace (the namespace the fd was created in). */
typedef struct NftSocket NftSocket;
/* Takes ownership of fd (a NETLINK_NETFILTER socket) on success. */
int nft_socket_open_fd(int fd, NftSocket **ret);
/* A socket in the calling thread's current network namespace. */
int nft_socket_open(NftSocket **ret);
NftSocket *nft_socket_free(NftSocket *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(NftSocket *, nft_socket_free);

/* Dumps table inet <name> completely. -ENOENT when absent. The kind is
 * recognised from the table's user data. */
int nft_table_observe(NftSocket *s, const char *name, NftTable **ret);
/* Lists the names of the inet tables present whose names start with
 * prefix (NULL: all). */
int nft_table_list(NftSocket *s, const char *prefix, char ***ret_names);
/* The same, only tables of kind (recognised from the user data as by
 * nft_table_observe()), from the one table dump. */
int nft_table_list_kind(NftSocket *s, const char *prefix, NftTableKind kind, char ***ret_names);
/* Sends a batch and waits for every ACK; the first kernel error is
 * returned (and the whole transaction was aborted by the kernel). */
int nft_batch_send(NftSocket *s, const NftBatch *b);
/* Convenience: build + send. */
int nft_forwarded_update(NftSocket *s, bool tcp, bool udp, uint16_t old_port, uint16_t new_port);
int nft_table_replace(NftSocket *s, const NftTable *t);
int nft_table_create(NftSocket *s, const NftTable *t);
/* Every table of every family in the socket's namespace, as "family name"
 * strings, sorted. */
int nft_ruleset_list(NftSocket *s, char ***ret);
int nft_table_delete_any(NftSocket *s, const char *family, const char *name);
/* Deletes table inet <name>; -ENOENT when absent. */
int nft_table_delete(NftSocket *s, const char *name);
/* The namespace's ruleset generation id (NFT_MSG_GETGEN): it changes with
 * every committed nftables transaction in that namespace. */
int nft_generation(NftSocket *s, uint32_t *ret);
/* Next sequence number for messages built for this socket. */
uint32_t nft_socket_next_seq(NftSocket *s);
