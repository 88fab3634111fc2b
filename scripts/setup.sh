#!/usr/bin/env bash
# Installs what brokerlab needs to build (and, with `--browser`, to test) on a fresh machine.
# Each tool is skipped when it is already there at the pinned version, so later runs take seconds.
# Everything comes from the package registries (crates.io, npm, Debian); nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# The wasm-bindgen CLI must match the wasm-bindgen crate exactly, or the build fails at runtime.
locked=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
  echo "Cargo.lock has wasm-bindgen $locked but scripts/env.sh pins $WASM_BINDGEN_VERSION: make them equal" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -qx "trunk $TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (about 13 minutes on 2 cores, once)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "^wasm-bindgen $WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes, once)"
  # Not --locked: one of its locked dependency versions is not on the registry.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

# wasm-opt (binaryen) and playwright-core, pinned in package-lock.json.
if ! wasm-opt --version 2>/dev/null | grep -q "version $WASM_OPT_VERSION" || [ ! -d node_modules/playwright-core ]; then
  log "installing npm tools (binaryen $WASM_OPT_VERSION, playwright-core)"
  npm ci --no-audit --no-fund
fi

if [ "${1:-}" = "--browser" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver from Debian"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver
  fi
  # The differential test imports exported definitions into a real RabbitMQ (tests/real_rabbitmq.sh
  # starts its own node on loopback; the package's service is not used).
  if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
    log "installing rabbitmq-server from Debian (the real-RabbitMQ test)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server
  fi
  # ... and plays the AMQP scripts of tests/data/amqp/ on it with a real client (pika).
  if ! python3 -c 'import pika' 2>/dev/null && ! /usr/bin/python3 -c 'import pika' 2>/dev/null; then
    log "installing python3-pika from Debian (the real-RabbitMQ AMQP scripts)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-pika
  fi
  # The native tests read the exported docker-compose files with PyYAML.
  if ! python3 -c 'import yaml' 2>/dev/null; then
    log "installing python3-yaml from Debian (the compose export's YAML check)"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-yaml
  fi
fi
log "tools ready"
