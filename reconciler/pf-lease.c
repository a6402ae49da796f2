/* SPDX-License-Identifier: MIT */
/*
 * The lease files of port forwarding (pf-lease.h): their format, strict
 * parsing, and reading and writing through the safe-file helpers.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>

#include "pf-lease.h"
#include "safefile.h"
#include "util.h"

void pf_lease_format(const PfLease *l, char buf[static PF_LEASE_TEXT_MAX])
{
	snprintf(buf, PF_LEASE_TEXT_MAX, "v1 %u %" PRIu64 " %" PRIu64 " %" PRIu32 "\n",
		 (unsigned)l->port, l->granted_s, l->expires_s, l->epoch);
}

/* A decimal number without sign or leading zero, ending at a space or
 * the newline; advances *p past it and its terminator. */
static int take_number(const char **p, char end, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(s[n] - '0');
		n++;
	}
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0') || s[n] != end || v > max)
		return -EBADMSG;
	*p = s + n + 1;
	*ret = v;
	return 0;
}

int pf_lease_parse(const char *text, PfLease *ret)
{
	uint64_t port, granted, expires, epoch;
	const char *p = text;

	assert(text && ret);
	if (!startswith(p, "v1 "))
		return -EBADMSG;
	p += 3;
	if (take_number(&p, ' ', 65535, &port) < 0 || port == 0 ||
	    take_number(&p, ' ', UINT64_MAX, &granted) < 0 ||
	    take_number(&p, ' ', UINT64_MAX, &expires) < 0 ||
	    take_number(&p, '\n', UINT32_MAX, &epoch) < 0 || *p != 0 || expires < granted)
		return -EBADMSG;
	*ret = (PfLease){.port = (uint16_t)port, .granted_s = granted, .expires_s = expires,
			 .epoch = (uint32_t)epoch};
	return 0;
}

bool pf_lease_current(const PfLease *l, uint64_t now_s)
{
	return l->port != 0 && now_s < l->expires_s && l->expires_s - now_s <= PF_LEASE_REMAINING_MAX;
}

static char *file_path(const char *runtime_dir, const char *ns, const char *name)
{
	return xasprintf("%s/%s/%s", runtime_dir, ns, name);
}

int pf_lease_read(const char *runtime_dir, const char *ns, PfLease *ret)
{
	_cleanup_free_ char *path = file_path(runtime_dir, ns, PF_LEASE_FILE), *text = NULL;
	int r;

	r = safe_file_read(path, PF_LEASE_TEXT_MAX, &text);
	if (r < 0)
		return r;
	return pf_lease_parse(text, ret);
}

uint16_t pf_lease_current_port(const char *runtime_dir, const char *ns, uint64_t now_s)
{
	PfLease l;

	if (pf_lease_read(runtime_dir, ns, &l) < 0 || !pf_lease_current(&l, now_s))
		return 0;
	return l.port;
}

int pf_lease_write(const char *runtime_dir, const char *ns, const PfLease *l, bool port_file)
{
	_cleanup_free_ char *lease = file_path(runtime_dir, ns, PF_LEASE_FILE),
			    *port = file_path(runtime_dir, ns, PF_PORT_FILE);
	char text[PF_LEASE_TEXT_MAX], line[16];
	int r;

	pf_lease_format(l, text);
	r = safe_file_write_atomic(lease, text, strlen(text), 0644);
	if (r < 0 || !port_file)
		return r;
	snprintf(line, sizeof(line), "%u\n", (unsigned)l->port);
	return safe_file_write_atomic(port, line, strlen(line), 0644);
}

int pf_lease_remove(const char *runtime_dir, const char *ns)
{
	_cleanup_free_ char *lease = file_path(runtime_dir, ns, PF_LEASE_FILE),
			    *port = file_path(runtime_dir, ns, PF_PORT_FILE);
	int r;

	r = safe_file_remove(port);
	if (r < 0)
		return r;
	return safe_file_remove(lease);
}
