#!/bin/sh
# /init of the VM test initramfs (run by busybox sh as PID 1).
#
# The initramfs holds only busybox and the modules needed to reach the real
# root: the virtio-mmio transport, 9p over virtio, overlayfs, plus wireguard
# (load order in /lib/modules/load-order, produced by run-vm with
# "modprobe --show-depends").  The host's / arrives read-only over 9p (tag
# "hostroot") and becomes the lower layer of an overlay whose upper layer is a
# tmpfs, so the guest may write anywhere and everything is thrown away at
# power-off.  The read-write 9p share (tag "vmio") carries the command to run
# and brings back its exit status; it is mounted at /run/vm-io.  Then
# switch_root hands PID 1 to guest-init.sh, run by the host's bash.
#
# Any failure here powers the VM off without writing a status file, which
# run-vm reports as a boot failure.

PATH=/bin

# The initramfs has no /dev/console node: the kernel started us without stdio.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

fatal() {
  echo "vm-init: $*"
  echo "vm-init: kernel log:"
  dmesg | tail -n 30
  poweroff -f
  exit 1
}

while read -r mod; do
  # A missing CPU feature makes some accelerated crypto modules refuse to
  # load; wireguard then uses the generic code, so this is not fatal.
  insmod "/lib/modules/$mod" || echo "vm-init: warning: cannot load $mod"
done </lib/modules/load-order

mount_9p() {
  # Device probing normally completes inside insmod, but give a late virtio
  # channel a moment before declaring the boot failed.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    mount -t 9p -o "$3,trans=virtio,version=9p2000.L,msize=262144" "$1" "$2" \
      2>/dev/null && return 0
    sleep 0.1
  done
  mount -t 9p -o "$3,trans=virtio,version=9p2000.L,msize=262144" "$1" "$2"
}

mkdir -p /lower /rw /newroot
mount_9p hostroot /lower ro,cache=loose || fatal "cannot mount the host root"
mount -t tmpfs -o mode=0755 tmpfs /rw || fatal "cannot mount tmpfs"
mkdir /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
  overlay /newroot || fatal "cannot mount the overlay root"

mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run ||
  fatal "cannot mount /run"
mkdir /newroot/run/vm-io
mount_9p vmio /newroot/run/vm-io rw,cache=none || fatal "cannot mount vm-io"
cp /guest-init.sh /newroot/run/vm-init.sh || fatal "cannot copy guest-init.sh"

# systemd as PID 1 (run-vm --systemd): the files run-vm prepared go over
# the root, and a stray /.dockerenv must not make systemd believe it runs
# in a container.
if grep -qw vpnconf.init=systemd /proc/cmdline; then
  cp -a /newroot/run/vm-io/overlay/. /newroot/ || fatal "cannot copy the overlay"
  rm -f /newroot/.dockerenv
  mount --move /dev /newroot/dev
  umount /proc /sys
  exec switch_root /newroot /lib/systemd/systemd
  fatal "switch_root to systemd failed"
fi

mount --move /dev /newroot/dev
umount /proc /sys
# shellcheck disable=SC2093 # only reached when exec fails
exec switch_root /newroot /bin/bash /run/vm-init.sh
fatal "switch_root failed"
