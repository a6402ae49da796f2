/* SPDX-License-Identifier: MIT */
/*
 * What vpnconf-generator writes (reconciler/systemd-units.h): the drop-in
 * of a confined service and socket against golden text, the strict-DNS
 * and capability lines switched by their options, the lifecycle drop-in,
 * the publish socket and proxy, and the refusal of paths that cannot be
 * written into unit files. Also the parsing and validation of
 * namespaces.<n>.publish.
 */
#include "systemd-units.h"
#include "test-desired.h"
#include "test-golden.h"
#include "test.h"

static const SystemdUnitsConfig cfg = {
	.vpnconf_binary = "/usr/sbin/vpnconf",
	.socket_proxyd = "/usr/lib/systemd/systemd-socket-proxyd",
	.config_path = "/etc/vpnconf/desired.json",
};

static const Unit *find_unit(const Desired *d, const char *name)
{
	FOREACH_ARRAY(u, d->units, d->n_units)
		if (streq(u->name, name))
			return u;
	TEST_FAIL("no unit %s", name);
}

#define UNITS                                                                                      \
	"{'web.service': {'namespace': 'vpnapps', 'dynamicUser': true}, "                          \
	"'web.socket': {'namespace': 'vpnapps', 'dynamicUser': true}, "                            \
	"'pinger.service': {'namespace': 'vpnapps', 'dynamicUser': true, "                         \
	"'keepNetworkCapabilities': true}}"

TEST(confined_service_golden)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.units = UNITS));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "web.service"));

	check_golden("dropin-service.conf", s);
}

TEST(confined_socket_golden)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.units = UNITS));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "web.socket"));

	check_golden("dropin-socket.conf", s);
	/* A socket gets no mount or capability settings: its service does. */
	ASSERT_TRUE(!strstr(s, "BindReadOnlyPaths"));
	ASSERT_TRUE(!strstr(s, "CapabilityBoundingSet"));
}

TEST(keep_network_capabilities_drops_the_restrictions)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.units = UNITS));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "pinger.service"));

	ASSERT_TRUE(!strstr(s, "CapabilityBoundingSet"));
	ASSERT_TRUE(!strstr(s, "AF_PACKET"));
	ASSERT_TRUE(strstr(s, "NetworkNamespacePath=/run/netns/vpnapps\n"));
}

TEST(restrict_bind_allows_the_namespace_ports_only)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.units = "{'web.service': {'namespace': 'vpnapps', 'restrictBind': true}, "
			     "'web.socket': {'namespace': 'vpnapps', 'restrictBind': true}, "
			     "'other.service': {'namespace': 'vpnapps'}}",
		    .ns = "'ingress': {'fromTunnel': {'tcp': [51413, 80], 'udp': [51413]}}, "
			  "'publishToHost': {'tcp': [8080]}, "
			  "'publish': [{'listen': '192.0.2.1:80', 'port': 9091}]"));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "web.service")),
			    *k = systemd_units_render_confined(d, find_unit(d, "web.socket")),
			    *o = systemd_units_render_confined(d, find_unit(d, "other.service"));
	static const char want[] = "SocketBindAllow=tcp:80\n"
				   "SocketBindAllow=tcp:8080\n"
				   "SocketBindAllow=tcp:9091\n"
				   "SocketBindAllow=tcp:51413\n"
				   "SocketBindAllow=udp:51413\n"
				   "SocketBindDeny=any\n";

	ASSERT_TRUE(strstr(s, want));
	ASSERT_TRUE(strstr(k, want));
	ASSERT_TRUE(!strstr(o, "SocketBind"));
}

TEST(compat_dns_has_no_resolver_files)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.units = UNITS, .dns = "{'mode': 'compat', 'servers': ['10.64.0.1']}"));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "web.service"));

	ASSERT_TRUE(!strstr(s, "BindReadOnlyPaths"));
	ASSERT_TRUE(!strstr(s, "InaccessiblePaths"));
}

TEST(host_resolver_ipc_keeps_the_files_only)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(
		.units = UNITS,
		.dns = "{'servers': ['10.64.0.1'], 'allowHostResolverIPC': true}"));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "web.service"));

	ASSERT_TRUE(strstr(s, "BindReadOnlyPaths=/run/vpnconf/vpnapps/resolv.conf:"));
	ASSERT_TRUE(!strstr(s, "InaccessiblePaths"));
}

TEST(paths_follow_the_desired_state)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.units = UNITS,
		    .top = "'paths': {'netnsDir': '/var/run/ns', 'runtimeDir': '/run/vc'}"));
	_cleanup_free_ char *s = systemd_units_render_confined(d, find_unit(d, "web.service"));

	ASSERT_TRUE(strstr(s, "NetworkNamespacePath=/var/run/ns/vpnapps\n"));
	ASSERT_TRUE(strstr(s, "BindReadOnlyPaths=/run/vc/vpnapps/nsswitch.conf:/etc/"));
	free(s);
	/* vpnconf.service's directories follow, as the module's do. */
	s = systemd_units_render_lifecycle(d, &cfg);
	ASSERT_TRUE(strstr(s, "\nRuntimeDirectory=\nRuntimeDirectory=vc\n"));
	ASSERT_TRUE(!strstr(s, "StateDirectory"));
}

TEST(directories_outside_run_are_not_systemd_managed)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.top = "'paths': {'stateDir': '/srv/vpnconf', 'runtimeDir': '/srv/vpnconf-run'}"));
	_cleanup_free_ char *s = systemd_units_render_lifecycle(d, &cfg);

	ASSERT_TRUE(strstr(s, "\nStateDirectory=\nRuntimeDirectory=\nExecStop="));
}

TEST(unwritable_paths_are_refused)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.units = UNITS, .top = "'paths': {'netnsDir': '/run/my netns'}"));
	_cleanup_(desired_freep) Desired *d2 = accept_doc(
		DOC(.units = UNITS, .top = "'paths': {'runtimeDir': '/run/%n'}"));
	UnitTexts t = {.n = 42};

	ASSERT_EQ(systemd_units_render(d, &cfg, &t), -EINVAL);
	ASSERT_EQ(t.n, 42);
	ASSERT_EQ(systemd_units_render(d2, &cfg, &t), -EINVAL);
	ASSERT_FALSE(unit_value_is_plain("/a:b"));
	ASSERT_TRUE(unit_value_is_plain("/run/netns"));
}

#define PUBLISH                                                                                    \
	"'publish': [{'listen': '192.0.2.1:8080', 'port': 80}, "                                   \
	"{'listen': '[2001:db8::1]:443', 'port': 8443}]"

TEST(lifecycle_golden)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.units = UNITS, .ns = PUBLISH));
	_cleanup_free_ char *s = systemd_units_render_lifecycle(d, &cfg);

	check_golden("dropin-lifecycle.conf", s);
}

TEST(lifecycle_waits_for_the_network_for_hostname_endpoints)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(
		.wg = "'allowHostnameEndpoints': true, 'dynamicEndpointRefreshSeconds': 60",
		.peers = "[{'publicKey': '" TEST_KEY_A "', 'endpoint': 'vpn.example.com:51820', "
			 "'allowedIPs': ['0.0.0.0/0']}]"));
	_cleanup_free_ char *s = systemd_units_render_lifecycle(d, &cfg);

	ASSERT_TRUE(strstr(s, "Wants=network-online.target\nAfter=network-online.target\n"));
	ASSERT_TRUE(!strstr(s, "Before=network.target"));
}

TEST(publish_golden)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.ns = PUBLISH));
	const Namespace *ns = &d->namespaces[0];
	_cleanup_free_ char *s0 = systemd_units_render_publish_socket(d, ns, 0),
			    *v0 = systemd_units_render_publish_service(d, ns, 0, &cfg),
			    *s1 = systemd_units_render_publish_socket(d, ns, 1);

	check_golden("publish.socket", s0);
	check_golden("publish.service", v0);
	ASSERT_TRUE(strstr(s1, "ListenStream=[2001:db8::1]:443\n"));
	ASSERT_TRUE(strstr(s1, "Service=vpnconf-publish-vpnapps-1.service\n"));
}

TEST(render_lists_every_file)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.units = UNITS, .ns = PUBLISH));
	static const char *const want[] = {
		"vpnconf.service.d/zz-vpnconf.conf",
		"pinger.service.d/zz-vpnconf.conf",
		"web.service.d/zz-vpnconf.conf",
		"web.socket.d/zz-vpnconf.conf",
		"vpnconf-publish-vpnapps-0.socket",
		"vpnconf-publish-vpnapps-0.service",
		"vpnconf-publish-vpnapps-1.socket",
		"vpnconf-publish-vpnapps-1.service",
	};
	UnitTexts t = {};

	ASSERT_OK(systemd_units_render(d, &cfg, &t));
	ASSERT_EQ(t.n, ELEMENTSOF(want));
	for (size_t i = 0; i < t.n; i++)
		ASSERT_STREQ(t.files[i].path, want[i]);
	unit_texts_clear(&t);
}

TEST(publish_parsed)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.ns = PUBLISH));
	const Namespace *ns = &d->namespaces[0];

	ASSERT_EQ(ns->n_publish, 2);
	ASSERT_STREQ(ns->publish[0].listen, "192.0.2.1:8080");
	ASSERT_EQ(ns->publish[0].listen_port, 8080);
	ASSERT_EQ(ns->publish[0].port, 80);
	ASSERT_EQ(ns->publish[1].addr.family, AF_INET6);
	ASSERT_EQ(ns->publish[1].port, 8443);
	/* Publishing needs no host link. */
	ASSERT_FALSE(ns->host_link);
}

TEST(publish_refusals)
{
	REFUSE(NS "publish[0].listen", "must be IPv4:port or [IPv6]:port",
	       .ns = "'publish': [{'listen': '8080', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "literal IPv4 address",
	       .ns = "'publish': [{'listen': 'localhost:8080', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "literal IPv4 address",
	       .ns = "'publish': [{'listen': '01.2.3.4:8080', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "in brackets",
	       .ns = "'publish': [{'listen': '2001:db8::1:8080', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "inside [ ]",
	       .ns = "'publish': [{'listen': '[fe80::1%eth0]:8080', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "port 1..65535",
	       .ns = "'publish': [{'listen': '192.0.2.1:0', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "port 1..65535",
	       .ns = "'publish': [{'listen': '192.0.2.1:65536', 'port': 80}]");
	REFUSE(NS "publish[0].listen", "port 1..65535",
	       .ns = "'publish': [{'listen': '192.0.2.1:080', 'port': 80}]");
	REFUSE(NS "publish[0].port", "", .ns = "'publish': [{'listen': '192.0.2.1:80', 'port': 0}]");
	REFUSE(NS "publish[0].port", "",
	       .ns = "'publish': [{'listen': '192.0.2.1:80', 'port': 65536}]");
	REFUSE(NS "publish[0].port", "", .ns = "'publish': [{'listen': '192.0.2.1:80'}]");
	REFUSE(NS "publish[0].listen", "", .ns = "'publish': [{'port': 80}]");
	REFUSE(NS "publish[0].proto", "unknown key",
	       .ns = "'publish': [{'listen': '192.0.2.1:80', 'port': 80, 'proto': 'tcp'}]");
	REFUSE(NS "publish", "", .ns = "'publish': {'listen': '192.0.2.1:80', 'port': 80}");
}

TEST(publish_duplicates_refused)
{
	REFUSE(NS "publish[1].listen", "already claimed by namespaces.vpnapps.publish[0].listen",
	       .ns = "'publish': [{'listen': '192.0.2.1:80', 'port': 80}, "
		     "{'listen': '192.0.2.1:80', 'port': 81}]");
	REFUSE(NS "publish[1].listen", "already claimed",
	       .ns = "'publish': [{'listen': '0.0.0.0:80', 'port': 80}, "
		     "{'listen': '192.0.2.1:80', 'port': 81}]");
	REFUSE(NS "publish[1].listen", "already claimed",
	       .ns = "'publish': [{'listen': '[::]:80', 'port': 80}, "
		     "{'listen': '192.0.2.1:80', 'port': 81}]");
	/* Across namespaces, the later one is named. */
	refuse_doc(squote("{'version': 1, 'namespaces': {"
			  "'a': {'wireguard': {'managed': false}, 'dns': {'servers': ['10.64.0.1']}, "
			  "'publish': [{'listen': '192.0.2.1:80', 'port': 80}]}, "
			  "'b': {'wireguard': {'managed': false, 'interface': 'wg1'}, "
			  "'dns': {'servers': ['10.64.0.1']}, "
			  "'publish': [{'listen': '192.0.2.1:80', 'port': 8080}]}}}"),
		   "namespaces.b.publish[0].listen",
		   "already claimed by namespaces.a.publish[0].listen");
}

TEST(publish_distinct_accepted)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
		DOC(.ns = "'publish': [{'listen': '192.0.2.1:80', 'port': 80}, "
			  "{'listen': '192.0.2.2:80', 'port': 80}, "
			  "{'listen': '192.0.2.1:81', 'port': 80}, "
			  "{'listen': '[2001:db8::1]:80', 'port': 80}]"));

	ASSERT_EQ(d->namespaces[0].n_publish, 4);
}

#define PORT_HOOK                                                                                  \
	"'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1', "                             \
	"'onChange': 'curl -s \\\"http://127.0.0.1:8080/set?port=$VPNCONF_PORT&x=100%\\\"'}"

TEST(port_hook_golden)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(DOC(.ns = PORT_HOOK));
	const Namespace *ns = &d->namespaces[0];
	_cleanup_free_ char *p = systemd_units_render_port_path(d, ns),
			    *s = systemd_units_render_port_service(d, ns),
			    *l = systemd_units_render_lifecycle(d, &cfg);

	check_golden("port-hook.path", p);
	check_golden("port-hook.service", s);
	/* systemd's own expansions are escaped: the shell sees the command. */
	ASSERT_TRUE(strstr(s, "port=$$VPNCONF_PORT&x=100%%\\\"\"\n"));
	ASSERT_TRUE(strstr(s, "DynamicUser=yes\n"));
	ASSERT_TRUE(strstr(l, "Wants=vpnconf-port-vpnapps.path\n"));
}

TEST(port_hook_only_with_on_change)
{
	_cleanup_(desired_freep) Desired *d = accept_doc(
	    DOC(.ns = "'portForwarding': {'mode': 'natpmp', 'gateway': '10.2.0.1'}"));
	UnitTexts t = {};

	ASSERT_OK(systemd_units_render(d, &cfg, &t));
	for (size_t i = 0; i < t.n; i++)
		ASSERT_TRUE(!strstr(t.files[i].path, "vpnconf-port-"));
	unit_texts_clear(&t);
}

/* An invalid desired state used to leave the units it names without a
 * drop-in: started in the host's network namespace, outside the tunnel. */
TEST(invalid_desired_state_keeps_units_off_the_network)
{
	_cleanup_free_ char *s = systemd_units_render_unusable("web.service");
	_cleanup_free_ char *k = systemd_units_render_unusable("web.socket");
	char *names[] = {"a.service", "b.socket", NULL};
	UnitTexts t = {};

	check_golden("dropin-unusable.conf", s);
	ASSERT_TRUE(strstr(k, "\n[Socket]\nPrivateNetwork=yes\n") != NULL);
	ASSERT_TRUE(strstr(k, "BindsTo=vpnconf.service\n") != NULL);
	systemd_units_render_unusable_all(names, &t);
	ASSERT_TRUE(t.n == 2);
	ASSERT_TRUE(streq(t.files[0].path, "a.service.d/zz-vpnconf.conf"));
	ASSERT_TRUE(streq(t.files[1].path, "b.socket.d/zz-vpnconf.conf"));
	unit_texts_clear(&t);
}
