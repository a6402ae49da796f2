#!/bin/bash
# PID 1 of the VM after switch_root (run by the host's bash from the overlay).
#
# Mounts the usual API file systems (but no tmpfs on /tmp: a build directory
# there must stay visible; the overlay makes it writable anyway), runs
# /run/vm-io/command (a bash script written by run-vm: environment, cwd and
# the command line) with its output on the console, stores the exit status
# in /run/vm-io/status and powers the machine off.  /run/vm-io/started
# marks that the command was launched, so run-vm can tell a boot failure
# from a guest that died while running it.
#
# bash as PID 1 reaps orphans while it waits, and ignores SIGTERM/SIGINT.
# If power-off fails, PID 1 exits: the kernel panics and, with panic=-1 and
# qemu's -no-reboot, the VM stops anyway.

io=/run/vm-io

mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
# Scripts that wipe network state check this before doing anything.
export VPNCONF_IN_VM=1
unset LC_ALL

echo vm >/proc/sys/kernel/hostname
ip link set lo up

# The serial line would turn every "\n" of the command into "\r\n".
stty -onlcr </dev/console 2>/dev/null

read -r uptime _ </proc/uptime
echo "$uptime" >"$io/started"
bash "$io/command" </dev/null
echo "$?" >"$io/status.tmp"
mv "$io/status.tmp" "$io/status"
dmesg >"$io/dmesg" 2>&1
sync

busybox poweroff -f
exit 1
