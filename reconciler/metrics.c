/* SPDX-License-Identifier: MIT */
/*
 * Prometheus text exposition of vpnconf's state (metrics.h), and the
 * atomic replacement of a node_exporter textfile.
 */
#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "util.h"

/* Label values: backslash, double quote and newline are escaped. */
static void put_label(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=\"", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*p, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void ns_sample(FILE *f, const char *metric, const MetricsNamespace *ns, uint64_t v)
{
	fprintf(f, "%s{", metric);
	put_label(f, "namespace", ns->name);
	fprintf(f, "} %" PRIu64 "\n", v);
}

static void peer_sample(FILE *f, const char *metric, const MetricsNamespace *ns,
			const MetricsPeer *p, uint64_t v)
{
	fprintf(f, "%s{", metric);
	put_label(f, "namespace", ns->name);
	fputc(',', f);
	put_label(f, "interface", p->interface);
	fputc(',', f);
	put_label(f, "public_key", p->public_key);
	fprintf(f, "} %" PRIu64 "\n", v);
}

static void namespace_families(FILE *f, const MetricsNamespace *ns, size_t n)
{
	family(f, "vpnconf_namespace_present", "gauge",
	       "Whether the confinement namespace exists (1) or not (0).");
	for (size_t i = 0; i < n; i++)
		ns_sample(f, "vpnconf_namespace_present", &ns[i], ns[i].present);
	family(f, "vpnconf_namespace_in_sync", "gauge",
	       "Whether the namespace matches its desired state (1) or differs (0).");
	for (size_t i = 0; i < n; i++)
		ns_sample(f, "vpnconf_namespace_in_sync", &ns[i], ns[i].in_sync);
	family(f, "vpnconf_namespace_locked_down", "gauge",
	       "Whether the namespace holds the lockdown policy (loopback only).");
	for (size_t i = 0; i < n; i++)
		ns_sample(f, "vpnconf_namespace_locked_down", &ns[i], ns[i].locked_down);
	family(f, "vpnconf_drift_events_total", "counter",
	       "Drift events recorded in the journal for the namespace.");
	for (size_t i = 0; i < n; i++)
		if (ns[i].has_counters)
			ns_sample(f, "vpnconf_drift_events_total", &ns[i], ns[i].drift_events);
	family(f, "vpnconf_lockdowns_total", "counter",
	       "Transactions of the namespace that ended in lockdown.");
	for (size_t i = 0; i < n; i++)
		if (ns[i].has_counters)
			ns_sample(f, "vpnconf_lockdowns_total", &ns[i], ns[i].lockdowns);
}

static void port_families(FILE *f, const MetricsNamespace *ns, size_t n, uint64_t now)
{
	family(f, "vpnconf_forwarded_port", "gauge",
	       "The port forwarded through the tunnel to the namespace (0: none now).");
	for (size_t i = 0; i < n; i++)
		if (ns[i].port_forwarding)
			ns_sample(f, "vpnconf_forwarded_port", &ns[i], ns[i].forwarded_port);
	family(f, "vpnconf_forwarded_port_lease_age_seconds", "gauge",
	       "Seconds since the NAT-PMP lease was last granted or renewed (absent: no lease).");
	for (size_t i = 0; i < n; i++)
		if (ns[i].port_forwarding && ns[i].lease_granted_usec)
			ns_sample(f, "vpnconf_forwarded_port_lease_age_seconds", &ns[i],
				  now > ns[i].lease_granted_usec
				      ? (now - ns[i].lease_granted_usec) / 1000000
				      : 0);
}

#define FOREACH_PEER(ns, n, i, p)                                                                  \
	for (size_t i = 0; i < (n); i++)                                                           \
		for (const MetricsPeer *p = (ns)[i].peers; p && p < (ns)[i].peers + (ns)[i].n_peers; p++)

static void peer_families(FILE *f, const MetricsNamespace *ns, size_t n, uint64_t now)
{
	family(f, "vpnconf_peer_latest_handshake_seconds", "gauge",
	       "Time of the peer's latest WireGuard handshake (seconds since the epoch, 0: never).");
	FOREACH_PEER(ns, n, i, p)
	peer_sample(f, "vpnconf_peer_latest_handshake_seconds", &ns[i], p,
		    p->latest_handshake_usec / 1000000);
	family(f, "vpnconf_peer_handshake_age_seconds", "gauge",
	       "Seconds since the peer's latest WireGuard handshake (absent: never).");
	FOREACH_PEER(ns, n, i, p)
	if (p->latest_handshake_usec)
		peer_sample(f, "vpnconf_peer_handshake_age_seconds", &ns[i], p,
			    now > p->latest_handshake_usec
				    ? (now - p->latest_handshake_usec) / 1000000
				    : 0);
	family(f, "vpnconf_peer_receive_bytes_total", "counter",
	       "Bytes received from the peer through the tunnel.");
	FOREACH_PEER(ns, n, i, p)
	peer_sample(f, "vpnconf_peer_receive_bytes_total", &ns[i], p, p->rx_bytes);
	family(f, "vpnconf_peer_transmit_bytes_total", "counter",
	       "Bytes sent to the peer through the tunnel.");
	FOREACH_PEER(ns, n, i, p)
	peer_sample(f, "vpnconf_peer_transmit_bytes_total", &ns[i], p, p->tx_bytes);
	family(f, "vpnconf_peer_healthy", "gauge",
	       "1 when the peer's latest handshake is within drift.handshakeTimeoutSeconds, "
	       "0 when stale (absent: no timeout configured).");
	FOREACH_PEER(ns, n, i, p)
	if (p->healthy >= 0)
		peer_sample(f, "vpnconf_peer_healthy", &ns[i], p, (uint64_t)p->healthy);
	family(f, "vpnconf_peer_endpoint_index", "gauge",
	       "1-based position, in the peer's endpoint list, of the endpoint in use.");
	FOREACH_PEER(ns, n, i, p)
	if (p->endpoint_index > 0)
		peer_sample(f, "vpnconf_peer_endpoint_index", &ns[i], p, p->endpoint_index);
	family(f, "vpnconf_peer_endpoints", "gauge",
	       "Number of endpoints configured for the peer (endpoint and peers[].endpoints).");
	FOREACH_PEER(ns, n, i, p)
	if (p->n_endpoints > 0)
		peer_sample(f, "vpnconf_peer_endpoints", &ns[i], p, p->n_endpoints);
}

int metrics_format(const MetricsNamespace *ns, size_t n, uint64_t now_usec, char **ret)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	assert(ret);
	assert(ns || n == 0);
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	namespace_families(f, ns, n);
	peer_families(f, ns, n, now_usec);
	port_families(f, ns, n, now_usec);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}

static int temp_name(const char *base, char **ret)
{
	uint64_t rnd;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (uint64_t)getpid() ^ (uint64_t)(uintptr_t)&rnd;
	*ret = xasprintf(".%s.%016" PRIx64 ".tmp", base, rnd);
	return 0;
}

int metrics_write_file(const char *path, const char *text)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL;
	_cleanup_close_ int dfd = -EBADF, fd = -EBADF;
	const char *slash, *base;
	int r;

	assert(path);
	assert(text);
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (isempty(base) || streq(base, ".") || streq(base, ".."))
		return -EINVAL;
	dir = slash ? (slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path)))
		    : xstrdup(".");
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	temp_name(base, &tmp);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* The umask must not make the file unreadable for the scraper. */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r >= 0)
		r = write_full(fd, text, strlen(text));
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	/* The rename is durable once the directory is. */
	(void)fsync(dfd);
	return 0;
}
