/* SPDX-License-Identifier: MIT */
/*
 * The desired state (docs/desired-state.md): what the NixOS module renders
 * and vpnconf reconciles towards. desired_parse() turns JSON text into a
 * Desired with every default applied and every derivation done;
 * desired_validate() enforces the cross-field rules. Both report every
 * problem they find, each naming the JSON path and the rule, and neither
 * touches anything outside memory.
 *
 * After a successful parse + validate the structure is "effective":
 *  - namespaces and units are sorted by name;
 *  - hostLink fields are derived (names, subnet), and host_link says
 *    whether the link is effectively enabled;
 *  - ingress_host_tcp already contains publishToHost.tcp;
 *  - every port list is sorted and free of duplicates;
 *  - pinning_fwmark is derived when it was null.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipaddr.h"
#include "util.h"

#define DESIRED_DEFAULT_PATH "/etc/vpnconf/desired.json"
#define DESIRED_MAX_SIZE (16U * 1024U * 1024U)
#define NAMESPACE_NAME_MAX 64
#define WG_KEY_LEN 32

typedef enum SecurityProfile {
	SECURITY_PROFILE_BALANCED,
	SECURITY_PROFILE_HIGH_ASSURANCE,
	_SECURITY_PROFILE_MAX,
	_SECURITY_PROFILE_INVALID = -EINVAL,
} SecurityProfile;

typedef enum DnsMode {
	DNS_MODE_STRICT,
	DNS_MODE_COMPAT,
	_DNS_MODE_MAX,
	_DNS_MODE_INVALID = -EINVAL,
} DnsMode;

typedef enum Ipv6Mode {
	IPV6_MODE_DISABLE,
	IPV6_MODE_TUNNEL,
	_IPV6_MODE_MAX,
	_IPV6_MODE_INVALID = -EINVAL,
} Ipv6Mode;

typedef enum EgressMode {
	EGRESS_MODE_ALLOW_ALL_TUNNEL,
	EGRESS_MODE_ALLOW_LIST,
	_EGRESS_MODE_MAX,
	_EGRESS_MODE_INVALID = -EINVAL,
} EgressMode;

/* What a reconcile does about drift it finds in a namespace that was in
 * sync: "repair" converges it, "lockdown" replaces the namespace policy by
 * one that drops everything but loopback, "alert" only reports. */
typedef enum DriftAction {
	DRIFT_ACTION_REPAIR,
	DRIFT_ACTION_LOCKDOWN,
	DRIFT_ACTION_ALERT,
	_DRIFT_ACTION_MAX,
	_DRIFT_ACTION_INVALID = -EINVAL,
} DriftAction;

/* namespaces.<n>.portForwarding.mode: how the provider forwards a port
 * (docs/port-forwarding.md). */
typedef enum PortForwardMode {
	PORT_FORWARD_NONE,
	PORT_FORWARD_NATPMP,
	PORT_FORWARD_STATIC,
	_PORT_FORWARD_MAX,
	_PORT_FORWARD_INVALID = -EINVAL,
} PortForwardMode;

const char *security_profile_to_string(SecurityProfile p);
SecurityProfile security_profile_from_string(const char *s);
const char *dns_mode_to_string(DnsMode m);
DnsMode dns_mode_from_string(const char *s);
const char *ipv6_mode_to_string(Ipv6Mode m);
Ipv6Mode ipv6_mode_from_string(const char *s);
const char *egress_mode_to_string(EgressMode m);
EgressMode egress_mode_from_string(const char *s);
const char *drift_action_to_string(DriftAction a);
DriftAction drift_action_from_string(const char *s);
const char *port_forward_mode_to_string(PortForwardMode m);
PortForwardMode port_forward_mode_from_string(const char *s);

/* Sorted, duplicate-free list of ports (1..65535). */
typedef struct PortList {
	uint16_t *ports;
	size_t n;
} PortList;

typedef struct Endpoint {
	char *host; /* hostname when !literal, else NULL */
	IpAddr addr; /* when literal */
	uint16_t port;
	bool literal;
} Endpoint;

/* peers[].endpoints: at most this many fallback endpoints per peer. */
#define PEER_ENDPOINTS_MAX 8

typedef struct Peer {
	uint8_t public_key[WG_KEY_LEN];
	char *public_key_b64; /* canonical base64, 44 chars */
	char *preshared_key_file; /* NULL: none */
	bool has_endpoint;
	char *endpoint_raw; /* as written, for messages */
	Endpoint endpoint;
	/* peers[].endpoints: fallbacks tried in order after endpoint. */
	Endpoint *endpoints;
	char **endpoints_raw;
	size_t n_endpoints;
	IpPrefix *allowed_ips;
	size_t n_allowed_ips;
	uint16_t persistent_keepalive; /* 0: off */
} Peer;

typedef struct WireguardConfig {
	char ifname[IFNAMSIZ];
	bool managed;
	char *private_key_file;
	bool generate_private_key_file;
	IpPrefix *addresses; /* interface addresses; host bits allowed */
	size_t n_addresses;
	int32_t listen_port; /* -1: null (random) */
	uint32_t mtu; /* 0: null (kernel default) */
	uint32_t fwmark; /* 0: null (none, or pinning mark when pinning) */
	char *socket_namespace; /* NULL: "init" (the namespace vpnconf runs in) */
	bool allowed_ips_as_routes;
	bool allow_hostname_endpoints;
	uint32_t dynamic_endpoint_refresh_seconds;
	bool pinning_enable;
	uint32_t pinning_fwmark; /* effective (derived when null) */
	Peer *peers;
	size_t n_peers;
} WireguardConfig;

/* namespaces.<n>.publish[]: a listener in the host's namespace whose
 * connections a proxy inside the namespace forwards to 127.0.0.1:port. */
typedef struct Publish {
	char *listen; /* as written: "ADDR:PORT" or "[ADDR6]:PORT" */
	IpAddr addr;
	uint16_t listen_port;
	uint16_t port;
} Publish;

#define PORT_FORWARD_LIFETIME_MIN 60
#define PORT_FORWARD_LIFETIME_MAX 86400
#define PORT_FORWARD_ON_CHANGE_MAX 4096

/* namespaces.<n>.portForwarding. */
typedef struct PortForwarding {
	PortForwardMode mode;
	IpAddr gateway; /* natpmp: the NAT-PMP gateway (IPv4); family 0 otherwise */
	bool tcp, udp;	/* protocols (default both) */
	bool protocols_given;
	uint32_t lifetime_seconds;
	PortList static_ports; /* static: sorted, duplicates refused */
	bool static_ports_given;
	char *on_change; /* NULL: none */
	/* natpmp: the port the gateway granted, which the policy admits
	 * (docs/port-forwarding.md, "The lease as desired state"). Not part of
	 * the document: filled from the lease file before the namespace is
	 * planned; 0 while no lease is current. */
	uint16_t lease_port;
} PortForwarding;

typedef struct Namespace {
	char *name;
	SecurityProfile profile;
	WireguardConfig wg;

	DnsMode dns_mode;
	IpAddr *dns_servers;
	size_t n_dns_servers;
	char **dns_search; /* strv, may be NULL */
	bool allow_host_resolver_ipc;

	Ipv6Mode ipv6_mode;

	EgressMode egress_mode;
	PortList egress_tcp;
	PortList egress_udp;
	IpPrefix *allowed_cidrs; /* strict prefixes, as written (not merged) */
	size_t n_allowed_cidrs;
	bool allow_essential_icmp;

	PortList ingress_host_tcp; /* fromHost.tcp ∪ publishToHost.tcp */
	PortList ingress_tunnel_tcp;
	PortList ingress_tunnel_udp;
	PortList publish_tcp;
	Publish *publish; /* as written, in order */
	size_t n_publish;

	bool host_link_enable; /* as written */
	bool host_link; /* effective: enable || publishToHost.tcp non-empty */
	char host_if[IFNAMSIZ];
	char ns_if[IFNAMSIZ];
	IpPrefix host_link_subnet; /* /30 network base */
	struct in_addr host_link_host_addr; /* .1 */
	struct in_addr host_link_ns_addr; /* .2 */

	PortForwarding pf;
} Namespace;

typedef struct Unit {
	char *name;
	char *namespace;
	char *user; /* NULL: none given */
	bool dynamic_user;
	bool allow_root_in_high_assurance;
	bool keep_network_capabilities;
	bool restrict_bind;
} Unit;

typedef struct Desired {
	unsigned version;
	char *state_dir;
	char *runtime_dir;
	char *netns_dir;
	DriftAction drift_action;
	uint32_t handshake_timeout_seconds; /* 0: off */
	Namespace *namespaces; /* sorted by name */
	size_t n_namespaces;
	Unit *units; /* sorted by name */
	size_t n_units;
	uint8_t digest[32]; /* sha256 of the input bytes */
	char *text;         /* the input bytes, NUL-terminated (journaled: a rollback
			     * rebuilds the policy vpnconf last verified from them) */
	size_t text_size;
} Desired;

/* One problem found in a desired-state file. path is "" for the document
 * itself; for syntax errors line/column are set (1-based) and path is "". */
typedef struct DesiredError {
	char *path;
	char *message;
	int line;
	int column;
} DesiredError;

typedef struct DesiredErrors {
	DesiredError *errors;
	size_t n;
} DesiredErrors;

void desired_errors_add(DesiredErrors *e, const char *path, const char *fmt, ...) _printf_(3, 4);
void desired_errors_clear(DesiredErrors *e);
/* "path: message" (or "line L, column C: message"), newly allocated. */
char *desired_error_format(const DesiredError *e);

/* Parses JSON text (not necessarily NUL-terminated) into an effective
 * Desired. On any error returns -EINVAL with every problem appended to
 * errors (which must be non-NULL) and *ret untouched. Does not validate
 * cross-field rules; call desired_validate() next. */
int desired_parse(const char *text, size_t size, DesiredErrors *errors, Desired **ret);
/* Enforces docs/desired-state.md's validation rules on a parsed state.
 * Returns 0 or -EINVAL (with errors appended). Pure: reads no files. */
int desired_validate(const Desired *d, DesiredErrors *errors);
/* Reads path (at most DESIRED_MAX_SIZE), parses and validates. -EINVAL
 * with errors for a bad file; other -errno for I/O (no error entries). */
int desired_load(const char *path, DesiredErrors *errors, Desired **ret);

Desired *desired_free(Desired *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(Desired *, desired_free);

const Namespace *desired_find_namespace(const Desired *d, const char *name);
/* The order namespaces are reconciled in: by name, except that a namespace
 * whose wireguard.socketNamespace names another namespace of d comes after
 * it (its tunnel is created from there). Fills ret_order (n_namespaces
 * indexes into d->namespaces). Pure. */
void desired_socket_order(const Desired *d, size_t *ret_order);
/* When the socketNamespace chain that starts at ns comes back to ns: the
 * namespace ns's socket lives in (the first link of the cycle), else NULL. */
const Namespace *desired_socket_cycle(const Desired *d, const Namespace *ns);

/* Derivations (docs/desired-state.md, "Defaults"): */
/* 169.254.0.0/16 /30 from sha256(name): first 8 hex digits mod 16384, * 4. */
void derive_host_link_subnet(const char *ns_name, IpPrefix *ret);
/* "vh-"/"vn-" + first 12 hex digits of sha256("host:"+name) / ("ns:"+name). */
void derive_host_if(const char *ns_name, char ret[static IFNAMSIZ]);
void derive_ns_if(const char *ns_name, char ret[static IFNAMSIZ]);
/* (first 8 hex digits of sha256(interface)) mod 4294967294, plus 1. */
uint32_t derive_pinning_fwmark(const char *ifname);

/* The JSON path of a namespace's member as messages show it:
 * "namespaces.NAME.SUB", or namespaces["NAME"].SUB when NAME contains a
 * '.' (docs/desired-state.md, "Error paths"). Newly allocated. */
char *desired_ns_path(const char *ns_name, const char *sub);
bool namespace_name_is_valid(const char *s);
/* A name systemd accepts for a unit vpnconf confines (.service, .socket). */
bool unit_name_is_valid(const char *s);
/* The names under "units" of a document that is JSON but may be invalid
 * otherwise (those that are valid unit names): the units an operator
 * meant to confine, for the generator to keep off the network while the
 * document cannot be used. -EINVAL for text that is not JSON, -ENOENT
 * when no such name is found. */
int desired_unit_names(const char *text, size_t size, char ***ret);
bool interface_name_is_valid(const char *s);
/* Whether two publish listeners would claim the same host socket: the
 * same address and port, or a wildcard address covering the other. */
bool publish_listen_overlaps(const Publish *a, const Publish *b);
bool port_list_contains(const PortList *l, uint16_t port);

/* A peer's endpoint list: endpoint, then endpoints[] in order. Index 0
 * is endpoint (when set). ret_raw (may be NULL) receives the text as
 * written. NULL past the end. */
size_t peer_endpoint_count(const Peer *p);
const Endpoint *peer_endpoint_at(const Peer *p, size_t i, const char **ret_raw);
