#!/usr/bin/env bash
# The real-BlueZ rig (issue 7, TESTING.md "BLE (b)"): boots Debian's stock kernel in QEMU with this
# machine's root filesystem mounted read-only over 9p, brings up kernel Bluetooth, two virtual LE
# controllers from `btvirt` that see and connect to each other (hci0, hci1), the system D-Bus and the
# real `bluetoothd`, runs one command there with MDL_BLE_RIG=vm, and hands its stdout, stderr and
# exit status back to the host.
#
#   .ci/rig-ble-vm.sh build                  install the packages, fetch the kernel, build the initramfs
#                                            (cached under target/ble-vm/, rebuilt only when this script
#                                            or the kernel package changes)
#   .ci/rig-ble-vm.sh run [OPTIONS] -- CMD…  boot, run CMD in the VM, exit with CMD's status
#       --timeout SECS   whole run, boot included (default 300); QEMU is killed by PID after it
#       --cwd DIR        CMD's working directory (default: the current one; a relative path
#                        to CMD itself is taken from the current directory either way)
#       --env NAME=VALUE an extra variable for CMD (repeatable); RUST_LOG, RUST_BACKTRACE,
#                        RUST_TEST_THREADS, NO_COLOR and MDL_* are passed through from the caller
#       --btmon          also record the HCI traffic of both controllers to OUT/btmon.snoop
#                        (read it with `btmon -r OUT/btmon.snoop`)
#       --out DIR        where the run's files go (default: a new target/ble-vm/runs/run.XXXXXX)
#   .ci/rig-ble-vm.sh selftest [OPTIONS]     `run` of the rig's own check (both controllers powered,
#                                            advertising seen by discovery, an L2CAP LE CoC transfer)
#
# Environment: BLE_VM_ACCEL=auto|tcg|kvm (auto: KVM only if a probe boot through /dev/kvm reaches
# the initramfs; nested KVM hangs on the machines this project runs on, so it is usually TCG),
# BLE_VM_MEM (MiB, default 2048), BLE_VM_VERBOSE=1 (kernel messages on the console log).
#
# A run leaves in OUT: stdout, stderr and status (CMD's), console.log (serial console: kernel and
# rig messages), bluetoothd.log, btvirt.log, timing (guest uptime at boot, stack ready, CMD done,
# and the same milestones in seconds since QEMU started, on the host's clock) and optionally
# btmon.snoop. Exit status: CMD's; 124 when the run timed out; 125 when the
# rig itself failed (no status came back).
#
# Inside the VM the same script runs as `guest OUT` (the rig's side of the run), and CMD may call
# `guest-selftest` (the selftest's checks) and `guest-restart-stack` (fresh controllers and
# bluetoothd, e.g. between test binaries); none of these is for use on the host.
set -uo pipefail

RIG="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
REPO="$(cd "$(dirname "$RIG")/.." && pwd)"
PACKAGES=(qemu-system-x86 busybox-static bluez bluez-test-tools dbus kmod cpio)
# Modules the guest loads, with their dependencies: the 9p host root, kernel Bluetooth with the
# virtual HCI driver, and the crypto bluetoothd and SMP use (AES-CMAC, AF_ALG).
MODULES=(virtio_pci 9pnet_virtio 9p hci_vhci ecdh_generic cmac ecb af_alg algif_hash algif_skcipher)

die() { echo "rig-ble-vm: $*" >&2; exit 125; }
note() { echo "rig-ble-vm: $*" >&2; }

# ---------------------------------------------------------------------------------------------
# Host side
# ---------------------------------------------------------------------------------------------

cache_dir() { echo "${CARGO_TARGET_DIR:-$REPO/target}/ble-vm"; }

install_packages() {
  local need=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if ((${#need[@]})); then
    note "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
  fi
}

# The versioned kernel package linux-image-amd64 points at (e.g. linux-image-6.1.0-57-amd64).
kernel_package() {
  local k
  k=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [[ -z $k ]]; then
    apt-get update -qq >&2 || return 1
    k=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  fi
  echo "$k"
}

# Builds CACHE/{vmlinuz,initramfs.cpio.gz} unless CACHE/key says they match this script and kernel.
build() {
  install_packages
  local cache kpkg kver key
  cache=$(cache_dir)
  mkdir -p "$cache"
  kpkg=$(kernel_package) || die "cannot resolve the kernel package (apt-cache depends linux-image-amd64)"
  [[ -n $kpkg ]] || die "no linux-image-6.x package known to apt"
  kver=$(apt-cache show --no-all-versions "$kpkg" 2>/dev/null | awk '/^Version:/{print $2; exit}')
  key="$kpkg $kver $(sha256sum "$RIG" | cut -d' ' -f1) $(dpkg-query -W -f='${Version}' busybox-static)"
  if [[ -f $cache/key && $(cat "$cache/key") == "$key" && -f $cache/vmlinuz && -f $cache/initramfs.cpio.gz ]]; then
    return 0
  fi
  note "building the VM image in $cache ($kpkg $kver)"
  local work="$cache/build" krel="${kpkg#linux-image-}"
  rm -rf "$work" "$cache/key" && mkdir -p "$work/initrd/bin" "$work/initrd/mods"
  (cd "$work" && apt-get download -o APT::Sandbox::User=root "$kpkg" >/dev/null) || die "apt-get download $kpkg failed"
  dpkg-deb -x "$work"/"$kpkg"_*.deb "$work/kroot" || die "cannot unpack $kpkg"
  depmod -b "$work/kroot" "$krel" || die "depmod failed"
  cp "$work/kroot/boot/vmlinuz-$krel" "$cache/vmlinuz"
  cp /bin/busybox "$work/initrd/bin/busybox"
  local m ko
  for m in "${MODULES[@]}"; do
    modprobe -d "$work/kroot" -S "$krel" --show-depends "$m" || die "module $m not in $kpkg"
  done | awk '$1 == "insmod" && !seen[$2]++ {print $2}' > "$work/modules"
  while read -r ko; do
    cp "$ko" "$work/initrd/mods/"
    basename "$ko" >> "$work/initrd/mods/order"
  done < "$work/modules"
  write_init > "$work/initrd/init"
  chmod +x "$work/initrd/init"
  (cd "$work/initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$cache/initramfs.cpio.gz" || die "cpio failed"
  rm -rf "$work"   # keep only vmlinuz and the initramfs (~12 MB)
  echo "$key" > "$cache/key"
  note "VM image ready: $(du -sh "$cache/vmlinuz" "$cache/initramfs.cpio.gz" | awk '{printf "%s %s  ", $2, $1}')"
}

# PID 1 of the VM (busybox). Kernel parameters: mdlrig= this script, mdlout= the run directory
# (exported read-write as 9p tag "out"), mdlprobe=1 for the accelerator probe.
write_init() {
  cat <<'INIT'
#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev /newroot
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
arg() { $B sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline; }
if [ "$(arg mdlprobe)" = 1 ]; then echo "MDL-RIG-PROBE-OK"; $B poweroff -f; fi
for m in $($B cat /mods/order); do $B insmod /mods/$m || echo "rig: insmod $m failed"; done
RIG=$(arg mdlrig); OUT=$(arg mdlout)
if ! $B mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=524288 hostroot /newroot; then
  echo "rig: 9p mount of the host root failed"; $B poweroff -f
fi
if ! $B mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=524288 out "/newroot$OUT"; then
  echo "rig: 9p mount of the run directory failed"; $B poweroff -f
fi
for d in proc sys dev; do $B mount --move /$d /newroot/$d; done
$B chroot /newroot /bin/bash "$RIG" guest "$OUT"
echo "MDL-RIG-GUEST-EXIT=$?"
$B sync
$B poweroff -f
INIT
}

# Prints the QEMU accelerator arguments. A KVM probe boot (to the initramfs marker) decides once per
# kernel and host; its verdict is cached next to the image.
accel_args() {
  local mode=${BLE_VM_ACCEL:-auto} cache verdict kernel
  local tcg="-accel tcg,thread=multi -cpu max" kvm="-accel kvm -cpu host"
  case $mode in
    tcg) echo "$tcg"; return ;;
    kvm) echo "$kvm"; return ;;
    auto) ;;
    *) die "BLE_VM_ACCEL must be auto, tcg or kvm" ;;
  esac
  [[ -r /dev/kvm && -w /dev/kvm ]] || { echo "$tcg"; return; }
  cache=$(cache_dir)
  kernel=$(cut -d' ' -f1,2 "$cache/key")
  if [[ ! -f $cache/accel || $(head -1 "$cache/accel") != "$kernel" ]]; then
    verdict=tcg
    # shellcheck disable=SC2086
    if timeout -k 2 10 qemu-system-x86_64 $kvm -smp 1 -m 256 -kernel "$cache/vmlinuz" \
        -initrd "$cache/initramfs.cpio.gz" -append "console=ttyS0 quiet panic=-1 mdlprobe=1" \
        -display none -serial stdio -monitor none -no-reboot -nic none 2>/dev/null \
        | grep -q MDL-RIG-PROBE-OK; then
      verdict=kvm
    fi
    printf '%s\n%s\n' "$kernel" "$verdict" > "$cache/accel"
    note "accelerator probe: $verdict"
  fi
  if [[ $(sed -n 2p "$cache/accel") == kvm ]]; then echo "$kvm"; else echo "$tcg"; fi
}

QEMU_PID=""
TAIL_PIDS=()
cleanup() {
  [[ -n $QEMU_PID ]] && kill -KILL "$QEMU_PID" 2>/dev/null
  local p
  for p in "${TAIL_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  return 0
}

run() {
  local timeout=300 cwd=$PWD btmon=0 out="" envs=() v
  while (($#)); do
    case $1 in
      --timeout) timeout=$2; shift 2 ;;
      --cwd) cwd=$2; shift 2 ;;
      --env) envs+=("$2"); shift 2 ;;
      --btmon) btmon=1; shift ;;
      --out) out=$2; shift 2 ;;
      --) shift; break ;;
      *) die "run: unknown option $1 (the command goes after --)" ;;
    esac
  done
  (($#)) || die "run: no command (usage: run [OPTIONS] -- CMD ARGS…)"
  [[ $timeout =~ ^[0-9]+$ ]] || die "--timeout takes whole seconds"
  cwd=$(cd "$cwd" 2>/dev/null && pwd) || die "--cwd: no directory $cwd"
  # A relative program path is the caller's, whatever --cwd says.
  local prog=$1; shift
  [[ $prog == */* && $prog != /* && -e $prog ]] && prog="$PWD/$prog"
  set -- "$prog" "$@"
  build
  local cache; cache=$(cache_dir)
  if [[ -z $out ]]; then
    mkdir -p "$cache/runs"
    # Keep the last few runs for inspection.
    ls -1dt "$cache"/runs/run.* 2>/dev/null | tail -n +6 | xargs -r rm -rf
    out=$(mktemp -d "$cache/runs/run.XXXXXX")
  fi
  mkdir -p "$out" && out=$(cd "$out" && pwd)
  [[ $out =~ ^[A-Za-z0-9/._+-]+$ && $RIG =~ ^[A-Za-z0-9/._+-]+$ ]] \
    || die "paths must not contain spaces or shell characters: $out, $RIG"
  rm -f "$out"/{stdout,stderr,status,timing,console.log,btmon.snoop,bluetoothd.log,btvirt.log}
  : > "$out/stdout"; : > "$out/stderr"

  # The job: a script on the shared run directory, so the guest needs no quoting of its own.
  {
    echo "#!/bin/bash"
    printf 'cd -- %q || exit 126\n' "$cwd"
    echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp"
    echo "export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket"
    for v in RUST_LOG RUST_BACKTRACE RUST_TEST_THREADS RUST_TEST_NOCAPTURE NO_COLOR $(compgen -e | grep '^MDL_' || true); do
      [[ -n ${!v+x} ]] && printf 'export %s=%q\n' "$v" "${!v}"
    done
    for v in "${envs[@]}"; do
      [[ $v == *=* && ${v%%=*} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "--env takes NAME=VALUE, got $v"
      printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"
    done
    echo "export MDL_BLE_RIG=vm"
    printf 'exec'; printf ' %q' "$@"; echo
  } > "$out/job.sh"
  echo "$btmon" > "$out/btmon"
  echo "$timeout" > "$out/timeout"

  local accel; accel=$(accel_args)
  local kargs="console=ttyS0 panic=-1 rdinit=/init mdlrig=$RIG mdlout=$out"
  [[ ${BLE_VM_VERBOSE:-0} == 1 ]] || kargs="quiet $kargs"
  trap cleanup EXIT
  trap 'cleanup; exit 130' INT TERM
  local t0=$SECONDS
  # shellcheck disable=SC2086
  qemu-system-x86_64 $accel -smp 2 -m "${BLE_VM_MEM:-2048}" \
    -kernel "$cache/vmlinuz" -initrd "$cache/initramfs.cpio.gz" -append "$kargs" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" \
    -display none -monitor none -serial "file:$out/console.log" -no-reboot -nic none \
    </dev/null >"$out/qemu.log" 2>&1 &
  QEMU_PID=$!
  tail -n +1 -F --pid="$QEMU_PID" "$out/stdout" 2>/dev/null & TAIL_PIDS+=($!)
  tail -n +1 -F --pid="$QEMU_PID" "$out/stderr" >&2 2>/dev/null & TAIL_PIDS+=($!)
  # Host-side clock of the guest's milestones (the guest's own clock lags under a loaded TCG).
  local timed_out=0 seen=0 lines host_timing=""
  while kill -0 "$QEMU_PID" 2>/dev/null; do
    lines=$( { wc -l < "$out/timing"; } 2>/dev/null || echo 0)
    while ((seen < lines)); do
      seen=$((seen + 1))
      host_timing+="$(sed -n "${seen}p" "$out/timing" | cut -d' ' -f1) $((SECONDS - t0))s, "
    done
    if ((SECONDS - t0 >= timeout)); then
      timed_out=1
      note "timed out after ${timeout}s: killing QEMU (PID $QEMU_PID)"
      kill -TERM "$QEMU_PID" 2>/dev/null; sleep 2; kill -KILL "$QEMU_PID" 2>/dev/null
      break
    fi
    sleep 0.5
  done
  wait "$QEMU_PID" 2>/dev/null
  QEMU_PID=""
  local p; for p in "${TAIL_PIDS[@]}"; do wait "$p" 2>/dev/null; done; TAIL_PIDS=()
  local total=$((SECONDS - t0)) rc
  if [[ -s $out/status ]]; then
    rc=$(cat "$out/status")
  elif ((timed_out)); then
    rc=124
  else
    rc=125
  fi
  if [[ $rc -ne 0 ]]; then
    note "---- console (last 25 lines of $out/console.log)"
    tail -n 25 "$out/console.log" >&2 2>/dev/null
    [[ -s $out/qemu.log ]] && { note "---- qemu"; tail -n 10 "$out/qemu.log" >&2; }
    [[ -s $out/bluetoothd.log ]] && { note "---- bluetoothd (last 10 lines)"; tail -n 10 "$out/bluetoothd.log" >&2; }
  fi
  echo "host: ${host_timing}poweroff ${total}s" >> "$out/timing"
  note "exit $rc; ${host_timing}poweroff ${total}s after QEMU started; accel: ${accel%% -cpu*}; files: $out"
  return "$rc"
}

# ---------------------------------------------------------------------------------------------
# Guest side (inside the VM, chrooted into the host root)
# ---------------------------------------------------------------------------------------------

uptime_s() { cut -d' ' -f1 /proc/uptime; }

# dbus_get OBJECT INTERFACE PROPERTY: the property's value as dbus-send prints it (last word).
dbus_get() {
  dbus-send --system --print-reply=literal --dest=org.bluez "$1" \
    org.freedesktop.DBus.Properties.Get "string:$2" "string:$3" 2>/dev/null | awk '{print $NF}'
}

# Waits until bluetoothd shows ADAPTER on D-Bus and powers it on if it is not yet.
wait_powered() {
  local hci=$1 i
  for i in $(seq 1 100); do
    case $(dbus_get "/org/bluez/$hci" org.bluez.Adapter1 Powered) in
      true) return 0 ;;
      false) dbus-send --system --print-reply --dest=org.bluez "/org/bluez/$hci" \
               org.freedesktop.DBus.Properties.Set string:org.bluez.Adapter1 string:Powered \
               variant:boolean:true >/dev/null 2>&1 ;;
    esac
    sleep 0.2
  done
  return 1
}

# The Bluetooth stack of the VM: two LE-only virtual controllers on one virtual radio (btvirt -L
# -l2: hci0 and hci1 see and connect to each other) and bluetoothd. PIDs in /run/mdl-rig-*.pid.
stack_start() {
  local out=$1 i
  btvirt -L -l2 >> "$out/btvirt.log" 2>&1 & echo $! > /run/mdl-rig-btvirt.pid
  for i in $(seq 1 50); do
    [[ -e /sys/class/bluetooth/hci0 && -e /sys/class/bluetooth/hci1 ]] && break
    sleep 0.1
  done
  /usr/libexec/bluetooth/bluetoothd -n >> "$out/bluetoothd.log" 2>&1 & echo $! > /run/mdl-rig-bluetoothd.pid
}

stack_ready() { wait_powered hci0 && wait_powered hci1; }

stack_stop() {
  local name p
  for name in bluetoothd btvirt; do
    [[ -s /run/mdl-rig-$name.pid ]] || continue
    p=$(cat "/run/mdl-rig-$name.pid")
    kill -TERM "$p" 2>/dev/null
    timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
    rm -f "/run/mdl-rig-$name.pid"
  done
  local i
  for i in $(seq 1 50); do
    [[ -e /sys/class/bluetooth/hci0 || -e /sys/class/bluetooth/hci1 ]] || break
    sleep 0.1
  done
}

# `guest-restart-stack`, for a job between test binaries: fresh controllers and a fresh bluetoothd,
# so that no connection state survives from one binary to the next (see README, "Testing on the
# real BlueZ stack").
guest_restart_stack() {
  local t0 out
  t0=$(uptime_s)
  out=$(cat /run/mdl-rig-out)
  stack_stop
  stack_start "$out"
  stack_ready || { echo "rig: adapters not powered again after the restart" >&2; return 1; }
  echo "rig: Bluetooth stack restarted in $(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN {printf "%.1f", b - a}') s"
}

guest() {
  local out=$1 pids=() rc
  echo "rig: guest up at $(uptime_s)s, kernel $(uname -r)"
  mkdir -p /dev/pts /dev/shm
  mount -t devpts devpts /dev/pts
  mount -t tmpfs tmpfs /dev/shm
  local d root kept=""
  # The repository (with the run directory mounted inside it) must stay visible when it lies
  # under a directory the guest covers with tmpfs: CI may clone under /tmp. Keep a recursive
  # bind of it on /dev (devtmpfs, not covered) and put it back on top of the tmpfs.
  root=$(dirname "$(dirname "$(readlink -f "$0")")")
  for d in /run /tmp /var/lib/bluetooth /var/log /var/tmp; do
    case "$root/" in "$d"/*) kept=1 ;; esac
  done
  if [[ -n $kept ]]; then
    mkdir -p /dev/.mdl-repo
    mount --rbind "$root" /dev/.mdl-repo
  fi
  for d in /run /tmp /var/lib/bluetooth /var/log /var/tmp; do mount -t tmpfs tmpfs "$d"; done
  if [[ -n $kept ]]; then
    mkdir -p "$root"
    mount --rbind /dev/.mdl-repo "$root"
  fi
  echo "boot $(uptime_s)" > "$out/timing"
  mkdir -p /run/dbus
  dbus-daemon --system --fork --print-pid > /tmp/dbus.pid || echo "rig: dbus-daemon failed"
  if [[ $(cat "$out/btmon" 2>/dev/null) == 1 ]]; then
    btmon -w "$out/btmon.snoop" >/dev/null 2>&1 & pids+=($!)
  fi
  echo "$out" > /run/mdl-rig-out
  stack_start "$out"
  if stack_ready; then
    echo "ready $(uptime_s)" >> "$out/timing"
    echo "rig: hci0 $(dbus_get /org/bluez/hci0 org.bluez.Adapter1 Address), hci1 $(dbus_get /org/bluez/hci1 org.bluez.Adapter1 Address) powered at $(uptime_s)s"
    # The job gets what is left of the host's deadline, less a margin to hand its files back.
    local budget up
    up=$(uptime_s); up=${up%.*}
    budget=$(( $(cat "$out/timeout") - up - 15 ))
    ((budget > 5)) || budget=5
    timeout -k 5 "$budget" bash "$out/job.sh" > "$out/stdout" 2> "$out/stderr" < /dev/null
    rc=$?
    ((rc == 124 || rc == 137)) && echo "rig: the command timed out after ${budget}s" | tee -a "$out/stderr"
    echo "done $(uptime_s)" >> "$out/timing"
  else
    echo "rig: adapters not powered within 20s: $(ls /sys/class/bluetooth 2>/dev/null | tr '\n' ' ')" | tee -a "$out/stderr"
    rc=125
  fi
  # Stop what we started, by PID (btmon flushes its capture on SIGTERM).
  stack_stop
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    timeout 3 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
  done
  [[ -s /tmp/dbus.pid ]] && kill "$(cat /tmp/dbus.pid)" 2>/dev/null
  echo "$rc" > "$out/status"
  sync
  echo "MDL-RIG-STATUS=$rc"
  return 0
}

# The rig's own check, run as the job: each step prints PASS/FAIL; exit 0 only if all pass.
# Tools: bluetoothctl and dbus-send (through bluetoothd, as applications see the stack) and l2test
# (kernel L2CAP sockets). Not btmgmt: its one-shot commands print nothing without a terminal.
guest_selftest() {
  local fails=0 a0 a1 hci ctl
  check() { if "$@"; then echo "PASS $STEP"; else echo "FAIL $STEP"; fails=$((fails + 1)); fi; }

  STEP="hci0 and hci1 on D-Bus: powered, LE central and peripheral roles"
  adapters() {
    local roles
    for hci in hci0 hci1; do
      [[ -e /sys/class/bluetooth/$hci ]] || return 1
      [[ $(dbus_get "/org/bluez/$hci" org.bluez.Adapter1 Powered) == true ]] || return 1
      roles=$(dbus-send --system --print-reply=literal --dest=org.bluez "/org/bluez/$hci" \
        org.freedesktop.DBus.Properties.Get string:org.bluez.Adapter1 string:Roles 2>/dev/null | tr -s ' \n' ' ')
      echo "     $hci $(dbus_get "/org/bluez/$hci" org.bluez.Adapter1 Address) roles:$roles"
      [[ $roles == *central* && $roles == *peripheral* ]] || return 1
    done
  }
  check adapters
  a0=$(dbus_get /org/bluez/hci0 org.bluez.Adapter1 Address)
  a1=$(dbus_get /org/bluez/hci1 org.bluez.Adapter1 Address)

  # One bluetoothctl session for the next two steps: its advertisement on hci1 lives as long as the
  # session does, and the kernel only connects an LE peer it has discovered while it advertises.
  ctl=/tmp/bluetoothctl.in
  mkfifo "$ctl"
  bluetoothctl < "$ctl" > /tmp/bluetoothctl.log 2>&1 & local ctl_pid=$!
  exec 3> "$ctl"

  STEP="hci1 advertises (LEAdvertisingManager1) and hci0 discovers it (StartDiscovery, LE)"
  discovery() {
    local i
    printf 'select %s\nadvertise on\n' "$a1" >&3
    sleep 1
    printf 'select %s\nscan le\n' "$a0" >&3
    for i in $(seq 1 80); do
      if dbus-send --system --print-reply --dest=org.bluez "/org/bluez/hci0/dev_${a1//:/_}" \
          org.freedesktop.DBus.Properties.Get string:org.bluez.Device1 string:Address >/dev/null 2>&1; then
        echo "     hci0 found $a1 after $((i * 250)) ms"
        printf 'scan off\n' >&3
        return 0
      fi
      sleep 0.25
    done
    printf 'scan off\n' >&3
    strings /tmp/bluetoothctl.log | tail -5 | sed 's/^/     | /'
    return 1
  }
  check discovery

  STEP="L2CAP LE CoC: hci0 sends 200 x 600 bytes to an l2test server on hci1 (PSM 0x0080)"
  coc() {
    # -g 2000: the sender waits 2 s before it disconnects; an LE CoC channel closed right after
    # send() drops the SDUs still queued (SO_LINGER does not wait for them).
    l2test -r -V le_public -P 128 -i hci1 > /tmp/l2s.log 2>&1 & local srv=$!
    sleep 1
    timeout 30 l2test -s -V le_public -P 128 -i hci0 -g 2000 -b 600 -N 200 "$a1" > /tmp/l2c.log 2>&1
    local crc=$? got
    sleep 1
    kill -TERM "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
    got=$(awk '/ bytes in /{n += $2} END {print n + 0}' /tmp/l2s.log)
    grep -h -E 'Options|Disconnect' /tmp/l2s.log | sed 's/^/     /'
    echo "     client exit $crc; server received $got bytes, $(grep -c mismatch /tmp/l2s.log) sequence/size mismatches"
    [[ $crc -eq 0 && $got -eq 120000 ]] && ! grep -q mismatch /tmp/l2s.log
  }
  check coc

  printf 'quit\n' >&3
  exec 3>&-
  timeout 5 tail --pid="$ctl_pid" -f /dev/null || kill -TERM "$ctl_pid" 2>/dev/null
  echo "$fails failed"
  ((fails == 0))
}

case ${1:-} in
  build) build ;;
  run) shift; run "$@" ;;
  selftest) shift; run "$@" -- "$RIG" guest-selftest ;;
  guest) guest "$2" ;;
  guest-selftest) guest_selftest ;;
  guest-restart-stack) guest_restart_stack ;;
  *) sed -n '2,/^set -uo/p' "$RIG" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
