#!/usr/bin/env bash
# Crypto providers (issue 10), called by .ci/run.
#   prepare: what feature `aws-lc` needs to build. aws-lc-sys compiles AWS-LC with the system C
#            compiler through the `cc` crate: no CMake, Go, clang or NASM on x86-64/aarch64
#            Linux (checked on a machine without them). Rust links with `cc` anyway, so this
#            only installs gcc where it is missing.
#   test:    the README's command (`--all-features`) makes aws-lc-rs the default provider of
#            every test; this runs the core's tests once more with default features, where
#            RustCrypto is the default, so every test passes on both providers.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  prepare)
    if ! command -v cc >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq gcc libc6-dev
    fi
    ;;
  test)
    echo "== tests of the core with RustCrypto as the default provider"
    cargo test -p mdl-proximity
    ;;
  *)
    echo "usage: $0 prepare|test" >&2
    exit 2
    ;;
esac
