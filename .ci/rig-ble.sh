#!/usr/bin/env bash
# The BlueZoo BLE rig (issue 7): installs what transports/ble/tests/bluezoo_*.rs need and prints
# the environment they read. The tests start their own private dbus-daemon and BlueZoo (two
# adapters, hci0 and hci1) per scenario and stop them by PID; this script starts no service.
#
#   eval "$(.ci/rig-ble.sh)"   # exports MDL_BLE_RIG=bluezoo and MDL_BLUEZOO=<path of bluezoo>
#
# BlueZoo (PyPI bluezoo, pinned) lives in a venv under a cached path, reused across runs.
set -euo pipefail
need=()
for pkg in dbus libdbus-1-dev pkg-config python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need[@]}" >&2
fi
BLUEZOO_VERSION=1.0.2
VENV="${MDL_RIG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mdl-proximity}/bluezoo-$BLUEZOO_VERSION"
if [ ! -x "$VENV/bin/bluezoo" ]; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "bluezoo==$BLUEZOO_VERSION" >&2
fi
echo "export MDL_BLE_RIG=bluezoo"
echo "export MDL_BLUEZOO=$VENV/bin/bluezoo"
