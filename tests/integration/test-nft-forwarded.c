/* SPDX-License-Identifier: MIT */
/*
 * A lease change of port forwarding against the running kernel: the
 * forwarded_tcp/forwarded_udp elements of the policy table change in one
 * transaction (one generation), the table is not replaced (its handle
 * stays), and afterwards the kernel holds exactly the table the policy
 * builder makes for the new lease, so the ordinary observe/diff sees no
 * drift. Removing an absent port is harmless; against the lockdown table
 * the whole change is refused and nothing opens.
 *
 * Runs only inside tests/sandbox; each case in a fresh network namespace.
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "../unit/test-nft-ns.h"
#include "nft-internal.h"
#include "test.h"

static void fresh_netns(void)
{
	if (!streq(strempty(getenv("VPNCONF_IN_SANDBOX")), "1"))
		TEST_SKIP("not inside tests/sandbox");
	if (unshare(CLONE_NEWNET) < 0)
		TEST_SKIP("unshare(CLONE_NEWNET): %m");
}

static NftTable *build_lease(uint16_t port)
{
	NftTable *t = NULL;
	TestNs ns;

	test_ns_reference(&ns);
	ns.ns.pf.mode = PORT_FORWARD_NATPMP;
	test_ns_parse_addr("10.2.0.1", &ns.ns.pf.gateway);
	ns.ns.pf.tcp = ns.ns.pf.udp = true;
	ns.ns.pf.lease_port = port;
	if (nft_policy_build(&ns.ns, &t) < 0)
		abort();
	return t;
}

static int diff_against(NftSocket *s, uint16_t port)
{
	_cleanup_(nft_table_freep) NftTable *want = build_lease(port), *have = NULL;
	_cleanup_strv_free_ char **l = NULL;
	int r = nft_table_observe(s, "vpnconf", &have);

	if (r < 0)
		return r;
	r = nft_table_diff(want, have, &l);
	STRV_FOREACH(x, l)
	fprintf(stderr, "  difference: %s\n", *x);
	return r;
}

/* The table's kernel handle as nft(8) prints it: a replaced table gets a
 * new one. */
static char *table_handle(void)
{
	char line[256] = "";
	FILE *f = popen("nft -a list table inet vpnconf", "r");

	if (!f || !fgets(line, sizeof(line), f))
		abort();
	while (fgetc(f) != EOF)
		;
	pclose(f);
	return xstrdup(line);
}

TEST(lease_changes_are_element_updates)
{
	_cleanup_(nft_socket_freep) NftSocket *s = NULL;
	_cleanup_(nft_table_freep) NftTable *t = build_lease(0);
	_cleanup_free_ char *handle = NULL, *after = NULL;
	uint32_t g0, g1;

	fresh_netns();
	ASSERT_OK(nft_socket_open(&s));
	ASSERT_OK(nft_table_replace(s, t));
	ASSERT_EQ(diff_against(s, 0), 0);
	handle = table_handle();
	ASSERT_TRUE(strstr(handle, "# handle"));

	ASSERT_OK(nft_generation(s, &g0));
	ASSERT_OK(nft_forwarded_update(s, true, true, 0, 40000));
	ASSERT_OK(nft_generation(s, &g1));
	ASSERT_EQ(g1, g0 + 1); /* one transaction */
	ASSERT_EQ(diff_against(s, 40000), 0);
	ASSERT_TRUE(diff_against(s, 0) > 0);

	/* Renewal with the same port, a port change, an expiry. */
	ASSERT_OK(nft_forwarded_update(s, true, true, 40000, 40000));
	ASSERT_EQ(diff_against(s, 40000), 0);
	ASSERT_OK(nft_forwarded_update(s, true, true, 40000, 51413));
	ASSERT_EQ(diff_against(s, 51413), 0);
	ASSERT_OK(nft_forwarded_update(s, true, true, 51413, 0));
	ASSERT_EQ(diff_against(s, 0), 0);
	/* Closing a port that is not there (a repair emptied the set). */
	ASSERT_OK(nft_forwarded_update(s, true, true, 51413, 0));
	ASSERT_EQ(diff_against(s, 0), 0);
	after = table_handle();
	ASSERT_STREQ(after, handle); /* never replaced */
}

TEST(lease_change_refused_by_lockdown)
{
	_cleanup_(nft_socket_freep) NftSocket *s = NULL;
	_cleanup_(nft_table_freep) NftTable *lock = NULL, *have = NULL, *want = NULL;
	_cleanup_strv_free_ char **l = NULL;

	fresh_netns();
	ASSERT_OK(nft_socket_open(&s));
	ASSERT_OK(nft_lockdown_build(&lock));
	ASSERT_OK(nft_table_replace(s, lock));
	ASSERT_ERR(nft_forwarded_update(s, true, true, 0, 40000), ENOENT);
	ASSERT_OK(nft_table_observe(s, "vpnconf", &have));
	ASSERT_EQ(nft_table_diff(lock, have, &l), 0);
	/* And with no table at all. */
	ASSERT_OK(nft_table_delete(s, "vpnconf"));
	ASSERT_ERR(nft_forwarded_update(s, true, true, 0, 40000), ENOENT);
	ASSERT_ERR(nft_table_observe(s, "vpnconf", &want), ENOENT);
}

TEST(lease_change_time)
{
	_cleanup_(nft_socket_freep) NftSocket *s = NULL;
	_cleanup_(nft_table_freep) NftTable *t = build_lease(0);
	uint64_t samples[101];
	uint16_t port = 0;

	fresh_netns();
	ASSERT_OK(nft_socket_open(&s));
	ASSERT_OK(nft_table_replace(s, t));
	for (size_t i = 0; i < ELEMENTSOF(samples); i++) {
		uint16_t next = (uint16_t)(40000 + i);
		uint64_t t0 = now_usec_monotonic();

		ASSERT_OK(nft_forwarded_update(s, true, true, port, next));
		samples[i] = now_usec_monotonic() - t0;
		port = next;
	}
	for (size_t i = 1; i < ELEMENTSOF(samples); i++)
		for (size_t j = i; j > 0 && samples[j - 1] > samples[j]; j--) {
			uint64_t x = samples[j];
			samples[j] = samples[j - 1];
			samples[j - 1] = x;
		}
	fprintf(stderr, "  lease change (both protocols, one batch): median %" PRIu64
			" us, max %" PRIu64 " us\n",
		samples[ELEMENTSOF(samples) / 2], samples[ELEMENTSOF(samples) - 1]);
	ASSERT_TRUE(samples[ELEMENTSOF(samples) / 2] < 50000);
}
