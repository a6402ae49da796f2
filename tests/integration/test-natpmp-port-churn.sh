#!/bin/bash
# A NAT-PMP gateway (the far side of the tunnel) grants a lifetime of one
# second and another port in every answer. Each change was followed at
# once: an nftables transaction, a journal transaction and journald events
# twice a second, for as long as the gateway liked. A new port is now
# followed at once, then at most once per 10 s (closing a port at expiry
# is never held back).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/natpmp.sh"

natpmp_up
start_gateway '{"mode": "grant", "port": 40000, "lifetime": 1}'
start_daemon --periodic-interval 0
wait_until 20 "port 40000 granted" port_is 40000
before=$(pf_txns)

note "the port flips every 0.5 s for 10 s, lifetime 1 s"
for i in $(seq 1 20); do
  gateway "{\"mode\": \"grant\", \"port\": $((40000 + 2 * (i % 2))), \"lifetime\": 1}"
  sleep 0.5
done
n=$(($(pf_txns) - before))
note "port-forward transactions: $n"
[ "$n" -le 3 ] || fail "$n port-forward transactions in 10 s of port churn (at most 3)"
daemon_alive || fail "the agent died"
finish
