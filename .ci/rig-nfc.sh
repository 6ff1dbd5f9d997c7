#!/usr/bin/env bash
# NFC rig (issue 6): a private pcscd with the vsmartcard vpcd driver, for the PC/SC tests of
# transports/nfc (tests/rig_*.rs), as ../shared/TESTING.md describes.
#
#   bash .ci/rig-nfc.sh install    # apt packages (pcscd, libpcsclite-dev, vsmartcard-vpcd)
#   source .ci/rig-nfc.sh start    # in a private mount namespace (unshare -m): tmpfs on
#                                  # /run/pcscd, pcscd with its own reader.conf, stopped by PID
#                                  # at exit; exports MDL_NFC_RIG=1 and MDL_NFC_VPCD_PORT
#
# The vpcd port defaults to 45963 (not vpcd's 35963), so a system pcscd or another rig on the
# same machine does not collide; the readers are "Virtual PCD 00 00" (port) and "00 01" (+1).

nfc_rig_install() {
  local need=() p
  for p in pcscd libpcsclite-dev vsmartcard-vpcd pkg-config iproute2; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if ((${#need[@]})); then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}"
  fi
}

nfc_rig_stop() {
  if [[ -n "${NFC_RIG_PCSCD_PID:-}" ]]; then
    kill "$NFC_RIG_PCSCD_PID" 2>/dev/null || true
    wait "$NFC_RIG_PCSCD_PID" 2>/dev/null || true
    NFC_RIG_PCSCD_PID=""
  fi
}

nfc_rig_start() {
  local port="${MDL_NFC_VPCD_PORT:-45963}" dir
  dir="$(mktemp -d /tmp/mdl-nfc-rig.XXXXXX)"
  mkdir -p "$dir/conf"
  printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x%04X\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    0x%04X\n' \
    "$port" "$port" > "$dir/conf/vpcd"
  # pcscd 1.9 hard-codes /run/pcscd: a tmpfs of our own, visible only in this namespace.
  mkdir -p /run/pcscd
  mount -t tmpfs tmpfs /run/pcscd
  pcscd --foreground ${NFC_RIG_PCSCD_ARGS:-} --config "$dir/conf" > "$dir/pcscd.log" 2>&1 &
  NFC_RIG_PCSCD_PID=$!
  # Whoever adds another EXIT trap to .ci/run must call nfc_rig_stop from it.
  trap nfc_rig_stop EXIT
  local i
  for i in $(seq 100); do
    if ss -ltn 2>/dev/null | grep -q ":$port "; then break; fi
    sleep 0.1
  done
  if ! ss -ltn 2>/dev/null | grep -q ":$port "; then
    echo "nfc rig: pcscd's vpcd driver is not listening on $port; log: $dir/pcscd.log" >&2
    cat "$dir/pcscd.log" >&2
    return 1
  fi
  export MDL_NFC_RIG=1 MDL_NFC_VPCD_PORT="$port"
  echo "nfc rig: pcscd $NFC_RIG_PCSCD_PID, vpcd on 127.0.0.1:$port, log $dir/pcscd.log"
}

case "${1:-}" in
  install) nfc_rig_install ;;
  start) nfc_rig_start ;;
  *) echo "usage: bash .ci/rig-nfc.sh install | source .ci/rig-nfc.sh start" >&2; return 2 2>/dev/null || exit 2 ;;
esac
