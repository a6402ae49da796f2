/* SPDX-License-Identifier: MIT */
/*
 * Observing one confinement namespace (see observe.h). Every read goes
 * through the sockets cached in the Netns it concerns.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "dnsfiles.h"
#include "kname.h"
#include "nft.h"
#include "observe.h"
#include "pf-lease.h"
#include "route.h"
#include "safefile.h"
#include "sysctl.h"
#include "wg.h"

static void birthplace_done(Birthplace *b, bool own_netns)
{
	free(b->name);
	if (own_netns)
		netns_free(b->netns);
	link_snapshot_done(&b->links);
	*b = (Birthplace){};
}

int observe_context_init(ObserveContext *c, const char *netns_dir, const char *runtime_dir)
{
	int r;

	*c = (ObserveContext){.netns_dir = netns_dir, .runtime_dir = runtime_dir};
	r = netns_open_self(&c->self);
	if (r < 0)
		return r;
	c->self_place.netns = c->self;
	return 0;
}

void observe_context_done(ObserveContext *c)
{
	birthplace_done(&c->self_place, false);
	FOREACH_ARRAY(b, c->places, c->n_places)
	birthplace_done(b, true);
	free(c->places);
	netns_free(c->self);
	*c = (ObserveContext){};
}

static int birthplace_links(Birthplace *b)
{
	int r;

	if (b->links_valid)
		return 0;
	r = link_snapshot(b->netns, &b->links);
	if (r < 0)
		return r;
	b->links_valid = true;
	return 0;
}

int observe_birthplace(ObserveContext *c, const char *socket_namespace, Birthplace **ret)
{
	Birthplace *b = NULL;
	Netns *n = NULL;
	int r;

	if (!socket_namespace || streq(socket_namespace, "init"))
		b = &c->self_place;
	else {
		FOREACH_ARRAY(i, c->places, c->n_places)
		if (streq(i->name, socket_namespace))
			b = i;
		if (!b) {
			r = netns_open(c->netns_dir, socket_namespace, &n);
			if (r < 0)
				return r == -ENOMEDIUM || r == -ENOTTY ? -ENOENT : r;
			b = ARRAY_APPEND(c->places, c->n_places);
			b->name = xstrdup(socket_namespace);
			b->netns = n;
		}
	}
	*ret = b;
	return 0;
}

/* A file of vpnconf's runtime directory: its content, NULL when absent.
 * Anything that is not a regular file there (a FIFO, a symbolic or hard
 * link, a device, a directory) is never opened: *ret_problem says what it
 * is, and the plan replaces it. */
static int read_optional(const char *path, char **ret, const char **ret_problem)
{
	int r = safe_file_read(path, 64 * 1024, ret);

	*ret_problem = NULL;
	if (r == -ENOENT || safe_file_problem(r)) {
		*ret = NULL;
		*ret_problem = safe_file_problem(r);
		return 0;
	}
	return r;
}

static int observe_inside(Netns *n, const char *name, const Namespace *ns, Observed *o)
{
	NftSocket *nft;
	int r;

	r = link_snapshot(n, &o->links);
	if (r < 0)
		return r;
	static const char *const keys[] = {
		"net/ipv6/conf/all/disable_ipv6",
		"net/ipv6/conf/default/disable_ipv6",
	};
	int v[2];
	r = sysctl_read_ints(n, keys, 2, v);
	if (r < 0)
		return r;
	o->disable_ipv6_all = v[0];
	o->disable_ipv6_default = v[1];

	r = netns_nft(n, &nft);
	if (r < 0)
		return r;
	r = nft_table_observe(nft, NFT_POLICY_TABLE, &o->table);
	if (r < 0 && r != -ENOENT)
		return r;
	r = nft_ruleset_list(nft, &o->foreign_tables);
	if (r < 0)
		return r;
	/* Ours is not foreign. */
	for (char **t = o->foreign_tables; t && *t;)
		if (streq(*t, "inet " NFT_POLICY_TABLE)) {
			free(*t);
			memmove(t, t + 1, (strv_length(t + 1) + 1) * sizeof(char *));
		} else
			t++;

	r = route_list(n, &o->routes, &o->n_routes);
	if (r < 0)
		return r;

	if (ns && ns->wg.managed) {
		const LinkInfo *t = link_snapshot_find(&o->links, ns->wg.ifname);
		WgSocket *wg;

		if (t && streq(t->kind, "wireguard") && link_is_ours(t, name, LINK_ROLE_TUNNEL)) {
			r = netns_wg(n, &wg);
			if (r < 0)
				return r;
			r = wg_get_device(wg, ns->wg.ifname, &o->wg);
			if (r < 0 && r != -ENODEV)
				return r;
		}
	}
	return 0;
}

static int observe_birthplace_objects(ObserveContext *c, const char *name, const Namespace *ns,
				      Observed *o)
{
	_cleanup_free_ char *pin_name = nft_pin_table_name(name);
	const char *place = ns ? ns->wg.socket_namespace : NULL;
	Birthplace *b;
	NftSocket *nft;
	int r;

	/* A namespace no longer desired: its tunnel's label says where the
	 * tunnel's socket, and so its pinning table, lives. */
	if (!ns)
		FOREACH_ARRAY(l, o->links.links, o->links.n)
	if (link_is_ours(l, name, LINK_ROLE_TUNNEL) && link_alias_birthplace(l) &&
	    !streq(link_alias_birthplace(l), "init"))
		place = link_alias_birthplace(l);

	r = observe_birthplace(c, place, &b);
	if (r == -ENOENT) {
		o->birthplace_present = false;
		return 0;
	}
	if (r < 0)
		return r;
	o->birthplace_present = true;

	r = netns_nft(b->netns, &nft);
	if (r < 0)
		return r;
	r = nft_table_observe(nft, pin_name, &o->pin_table);
	if (r < 0 && r != -ENOENT)
		return r;
	if (o->pin_table && !ns && place)
		o->pin_netns = xstrdup(place);
	return 0;
}

/* safe_file_write_atomic() names its temporaries
 * "<file>.vpnconf-<pid>.tmp"; one that outlived its writer was cut short
 * by a crash. Only one reconcile runs at a time (the lock), so none is in
 * use. */
static int observe_stale_files(const char *runtime_dir, const char *name, char ***ret)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s", runtime_dir, name);

	return safe_dir_temporaries(dir, ret);
}

/* Port forwarding's files, whatever they are (never opened here). */
static void observe_lease_files(const char *runtime_dir, const char *name, char ***ret)
{
	static const char *const files[] = {PF_PORT_FILE, PF_LEASE_FILE};
	struct stat st;

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s/%s", runtime_dir, name, files[i]);

		if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) >= 0)
			strv_push(ret, path);
	}
}

/* A tunnel whose alias records another socket namespace than the desired
 * one is about to be re-created there; a pinning table it left in its
 * former socket namespace must go too. */
static int observe_former_birthplace(ObserveContext *c, const char *name, const Namespace *ns,
				     Observed *o)
{
	_cleanup_free_ char *pin_name = nft_pin_table_name(name);
	_cleanup_(nft_table_freep) NftTable *t = NULL;
	const LinkInfo *l;
	const char *was;
	Birthplace *b;
	NftSocket *nft;
	int r;

	if (!ns || !ns->wg.managed)
		return 0;
	l = link_snapshot_find(&o->links, ns->wg.ifname);
	was = l ? link_alias_birthplace(l) : NULL;
	if (!was || streq(was, ns->wg.socket_namespace ?: "init"))
		return 0;
	r = observe_birthplace(c, streq(was, "init") ? NULL : was, &b);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = netns_nft(b->netns, &nft);
	if (r < 0)
		return r;
	r = nft_table_observe(nft, pin_name, &t);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	/* Only a table carrying vpnconf's marker is vpnconf's to delete. */
	if (nft_table_kind(t) != NFT_TABLE_PIN)
		return 0;
	o->stale_pin_birthplace = xstrdup(was);
	return 0;
}

static int observe_host_table(ObserveContext *c, const char *name, NftTable **ret)
{
	_cleanup_free_ char *table = nft_host_table_name(name);
	NftSocket *nft;
	int r;

	*ret = NULL;
	r = netns_nft(c->self, &nft);
	if (r < 0)
		return r;
	r = nft_table_observe(nft, table, ret);
	return r == -ENOENT ? 0 : r;
}

int observe_host_table_names(ObserveContext *c, char ***ret)
{
	_cleanup_strv_free_ char **tables = NULL, **names = NULL;
	NftSocket *nft;
	int r;

	r = netns_nft(c->self, &nft);
	if (r < 0)
		return r;
	/* Only a table with vpnconf's marker is vpnconf's: its kind comes
	 * with the table dump, its contents are observed by the namespace's
	 * own pass. */
	r = nft_table_list_kind(nft, NFT_HOST_TABLE_PREFIX, NFT_TABLE_HOST, &tables);
	if (r < 0)
		return r;
	/* Table names are kernel data: only a valid namespace name after the
	 * prefix names a namespace. */
	STRV_FOREACH(t, tables)
	{
		const char *n = startswith(*t, NFT_HOST_TABLE_PREFIX);

		if (n && namespace_name_is_valid(n))
			strv_push(&names, n);
	}
	strv_sort(names);
	*ret = TAKE_PTR(names);
	return 0;
}

/* Is the namespace n the one vpnconf created under this name? Only the
 * marker holding n's cookie proves it: the cookie is never reused. A
 * marker in the form earlier versions wrote (the nsfs dev:inode, which
 * the kernel gives the next namespace created once this one is gone)
 * proves nothing alone; together with vpnconf's policy or lockdown table
 * inside it is taken as the namespace that version created, and the plan
 * rewrites the marker with the cookie. vpnconf's table alone is no proof
 * either: anyone can create a table of that name and comment. */
static void observe_ownership(Netns *n, Observed *o)
{
	bool ours_table = o->table && (nft_table_kind(o->table) == NFT_TABLE_POLICY ||
				       nft_table_kind(o->table) == NFT_TABLE_LOCKDOWN);
	NetnsMarker m;

	o->owned = false;
	/* A marker replaced by something that is not a regular file (a FIFO,
	 * a symbolic or hard link) was tampered with by root on the host, not
	 * left behind by a namespace that went away: with vpnconf's table
	 * inside, the namespace is vpnconf's and the plan rewrites the
	 * marker. */
	if (o->marker_problem) {
		o->owned = ours_table;
		if (!o->owned)
			o->not_owned_why = xasprintf("its ownership marker is %s", o->marker_problem);
		return;
	}
	if (!o->marker) {
		o->not_owned_why = xstrdup(ours_table ? "it holds a table named and marked like "
							"vpnconf's policy, but no ownership marker"
						      : "it has no ownership marker");
		return;
	}
	if (kname_parse_marker(o->marker, strlen(o->marker), &m) < 0) {
		o->not_owned_why = xstrdup("its ownership marker is malformed");
		return;
	}
	if (!m.legacy) {
		o->owned = m.cookie == n->cookie;
		if (!o->owned)
			o->not_owned_why = xstrdup("its ownership marker names another namespace, "
						   "gone since: this one was created by someone "
						   "else, perhaps with the same inode number");
		return;
	}
	o->owned = m.dev == (uint64_t)n->dev && m.ino == (uint64_t)n->ino && ours_table;
	if (!o->owned)
		o->not_owned_why = xstrdup("its ownership marker has the old dev:inode form, "
					   "which the kernel reuses, and does not match with "
					   "vpnconf's policy inside");
}

int observe_namespace(ObserveContext *c, const char *name, const Namespace *ns, Observed *ret,
		      Netns **ret_netns)
{
	_cleanup_(netns_freep) Netns *n = NULL;
	_cleanup_free_ char *marker_path = netns_marker_path(c->runtime_dir, name);
	Observed o = {.name = xstrdup(name), .disable_ipv6_all = -1, .disable_ipv6_default = -1};
	char host_if[IFNAMSIZ];
	int r;

	r = netns_open(c->netns_dir, name, &n);
	switch (r) {
	case 0:
		o.netns_state = NETNS_PRESENT;
		break;
	case -ENOENT:
		o.netns_state = NETNS_ABSENT;
		break;
	case -ENOMEDIUM:
		o.netns_state = NETNS_PLACEHOLDER;
		break;
	case -ENOTTY:
		o.netns_state = NETNS_NOT_NETNS;
		break;
	default:
		goto fail;
	}

	r = read_optional(marker_path, &o.marker, &o.marker_problem);
	if (r < 0)
		goto fail;

	if (n) {
		uint64_t cookie;

		r = netns_cookie(n, &cookie);
		if (r < 0)
			goto fail;
		o.marker_want = kname_format_marker(cookie);
		r = observe_inside(n, name, ns, &o);
		if (r < 0)
			goto fail;
		observe_ownership(n, &o);
	}

	if (ns)
		snprintf(host_if, sizeof(host_if), "%s", ns->host_if);
	else
		derive_host_if(name, host_if);
	r = birthplace_links(&c->self_place);
	if (r < 0)
		goto fail;
	r = observe_host_table(c, name, &o.host_table);
	if (r < 0)
		goto fail;
	/* A namespace no longer desired may have had a hostIf of its own: its
	 * host-side table names it. */
	if (!ns && o.host_table)
		(void)nft_host_table_ifname(o.host_table, host_if);
	o.host_link = link_snapshot_find(&c->self_place.links, host_if);
	if (o.host_link)
		FOREACH_ARRAY(l, c->self_place.links.links, c->self_place.links.n)
		if (l->lower == o.host_link->ifindex && l != o.host_link) {
			snprintf(o.host_link_upper, sizeof(o.host_link_upper), "%s", l->name);
			break;
		}

	r = observe_birthplace_objects(c, name, ns, &o);
	if (r < 0)
		goto fail;
	r = observe_former_birthplace(c, name, ns, &o);
	if (r < 0)
		goto fail;

	for (DnsFile f = 0; f < _DNS_FILE_MAX; f++) {
		_cleanup_free_ char *path = dns_file_path(c->runtime_dir, name, f);
		r = read_optional(path, &o.files[f], &o.files_problem[f]);
		if (r < 0)
			goto fail;
	}
	r = observe_stale_files(c->runtime_dir, name, &o.stale_files);
	if (r < 0)
		goto fail;
	observe_lease_files(c->runtime_dir, name, &o.lease_files);

	*ret = o;
	if (ret_netns)
		*ret_netns = TAKE_PTR(n);
	return 0;
fail:
	observed_done(&o);
	return r;
}

int observe_owned_names(const char *runtime_dir, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	DIR *d = opendir(runtime_dir);
	struct dirent *de;

	if (!d) {
		if (errno == ENOENT) {
			*ret = NULL;
			return 0;
		}
		return negative_errno();
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *marker = NULL;
		struct stat st;

		if (de->d_name[0] == '.' || !namespace_name_is_valid(de->d_name))
			continue;
		marker = xasprintf("%s/%s/netns-id", runtime_dir, de->d_name);
		/* Whatever it is: observing decides whether it proves anything. */
		if (fstatat(AT_FDCWD, marker, &st, AT_SYMLINK_NOFOLLOW) == 0)
			strv_push(&names, de->d_name);
	}
	closedir(d);
	strv_sort(names);
	*ret = TAKE_PTR(names);
	return 0;
}
