#!/bin/bash
# A hostile NAT-PMP gateway (the far side of the tunnel) answers with
# epochs jumping back and forth and ports alternating: every jump back is
# a "restart". Each one used to start a new round at once, and each round
# a new port: one nftables transaction, one journal transaction and
# journald events per few datagrams, as fast as the gateway sends. A
# restart is now followed at most once per interval: the journal and the
# log grow by a bounded amount whatever the gateway sends.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/daemon.sh"
. "$(dirname "$0")/natpmp.sh"

natpmp_up
start_gateway '{"mode": "grant", "port": 40000, "lifetime": 4}'

start_daemon --periodic-interval 0
wait_until 20 "port 40000 granted" port_is 40000
before=$(pf_txns)
lines_before=$(wc -l <"$DAEMON_LOG")

note "the gateway flips its epoch and the port for 6 s"
gateway '{"mode": "epochflip", "port": 40000, "lifetime": 4}'
sleep 6
gateway '{"mode": "grant", "port": 40000, "lifetime": 4}'
daemon_alive || fail "the agent died under the flood"
after=$(pf_txns)
lines_after=$(wc -l <"$DAEMON_LOG")
note "port-forward transactions: $((after - before)); log lines: $((lines_after - lines_before))"
[ $((after - before)) -le 6 ] ||
  fail "$((after - before)) port-forward transactions in 6 s of epoch flips (at most 6)"
[ $((lines_after - lines_before)) -le 40 ] ||
  fail "$((lines_after - lines_before)) log lines in 6 s of epoch flips (at most 40)"
finish
