/* SPDX-License-Identifier: MIT */
/*
 * The journal MESSAGE_IDs of vpnconf's events, in one place for the
 * command line and the agent. Each one is stable (operators match it in
 * journalctl and alerting) and explained, with what to do about it, by
 * an entry of docs/vpnconf.catalog (installed to lib/systemd/catalog/, so
 * that "journalctl -x" shows it). A unit test checks that every id here
 * has exactly one catalog entry and the other way round; add both
 * together. The second column is the VPNCONF_EVENT field sent with it.
 */
#pragma once

/* Outcomes of a reconcile (vpnconf reconcile, down, and the agent). */
#define VPNCONF_MESSAGE_APPLIED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a01"      /* applied */
#define VPNCONF_MESSAGE_DRIFT "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a02"        /* drift */
#define VPNCONF_MESSAGE_ROLLED_BACK "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a03"  /* rolled-back */
#define VPNCONF_MESSAGE_LOCKDOWN "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a04"     /* lockdown */
#define VPNCONF_MESSAGE_REJECTED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a05"     /* rejected */
#define VPNCONF_MESSAGE_INTERRUPTED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a06"  /* interrupted */
#define VPNCONF_MESSAGE_FAILED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a07"       /* failed */
#define VPNCONF_MESSAGE_TORN_DOWN "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a08"    /* torn-down */

/* The state journal could not be used, or was damaged and replaced. */
#define VPNCONF_MESSAGE_JOURNAL_UNUSABLE "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a15" /* journal-unusable */
#define VPNCONF_MESSAGE_JOURNAL_RESET "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a16"    /* journal-reset */

/* What was done about drift (VPNCONF_MESSAGE_DRIFT reports finding it). */
#define VPNCONF_MESSAGE_DRIFT_REPAIRED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a09"    /* drift-repaired */
#define VPNCONF_MESSAGE_DRIFT_LOCKED_DOWN "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a0a" /* drift-lockdown */
#define VPNCONF_MESSAGE_DRIFT_ALERT "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a0b"       /* drift-alert */

/* The agent's desired state, re-read on SIGHUP. */
#define VPNCONF_MESSAGE_RELOAD_OK "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a0c"       /* reload */
#define VPNCONF_MESSAGE_RELOAD_REJECTED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a0d" /* reload-rejected */

/* Tunnel health (reconciler/health.h). */
#define VPNCONF_MESSAGE_PEER_STALE "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a0e"        /* peer-stale */
#define VPNCONF_MESSAGE_ENDPOINT_FALLBACK "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a0f" /* endpoint-fallback */
#define VPNCONF_MESSAGE_PEER_RECOVERED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a10"    /* peer-recovered */

/* A confinement namespace unmounted or deleted behind vpnconf's back. */
#define VPNCONF_MESSAGE_NAMESPACE_LOST "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a11"      /* namespace-lost */
#define VPNCONF_MESSAGE_NAMESPACE_RECREATED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a12" /* namespace-recreated */

/* The agent itself. */
#define VPNCONF_MESSAGE_DAEMON_STARTED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a13"  /* daemon-started */
#define VPNCONF_MESSAGE_DAEMON_STOPPING "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a14" /* daemon-stopping */
#define VPNCONF_MESSAGE_EVENTS_LOST "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a17"     /* overrun */

/* Port forwarding (docs/port-forwarding.md): the agent's NAT-PMP lease. */
#define VPNCONF_MESSAGE_PORT_GRANTED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a18"  /* port-granted */
#define VPNCONF_MESSAGE_PORT_CHANGED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a19"  /* port-changed */
#define VPNCONF_MESSAGE_PORT_EXPIRED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a1a"  /* port-expired */
#define VPNCONF_MESSAGE_PORT_GATEWAY_RESTARTED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a1b" /* gateway-restarted */
#define VPNCONF_MESSAGE_PORT_FAILED "3e9f1b1c6a6d4f0e9a7c2b8d5e4f6a1c"   /* port-failed */
