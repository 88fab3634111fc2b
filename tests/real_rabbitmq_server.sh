#!/usr/bin/env bash
# Sourced by the tests against a real RabbitMQ (tests/real_rabbitmq.sh): TAP-style ok / not ok
# counting, and one RabbitMQ node (Debian's rabbitmq-server) started on loopback only, on free
# ports, with its own node name, cookie, database and logs under target/real-rabbitmq/ (started
# clean every time), stopped when the sourcing script exits whatever happens. A server that does
# not start is a failure (`finish` ends the script), not a skip. Sets `port` (AMQP), `ctl`
# (rabbitmqctl for that node) and `brokerlab` (the debug build of the command line).
root=$PWD
base=$root/target/real-rabbitmq
# Where Debian puts the scripts that run as the calling user (/usr/sbin/* switch to the rabbitmq user).
sbin=${RABBITMQ_SBIN:-/usr/lib/rabbitmq/bin}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok $((pass + fail)) - $*"; }
not_ok() { fail=$((fail + 1)); echo "not ok $((pass + fail)) - $*"; }
finish() {
  echo "# pass $pass"
  echo "# fail $fail"
  [ "$fail" -eq 0 ]
  exit
}

if [ ! -x "$sbin/rabbitmq-server" ]; then
  not_ok "rabbitmq-server is not installed (scripts/setup.sh --browser installs it: apt-get install rabbitmq-server)"
  finish
fi
cargo build --locked -q --bin brokerlab || { not_ok "brokerlab does not build"; finish; }
brokerlab=$root/target/debug/brokerlab

rm -rf "$base"
mkdir -p "$base/home" "$base/db" "$base/log" "$base/files"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
echo "listeners.tcp.default = 127.0.0.1:$port" > "$base/rabbitmq.conf"
echo '[].' > "$base/enabled_plugins"
# HOME holds the Erlang cookie that rabbitmqctl and the server share.
export HOME=$base/home RABBITMQ_NODENAME=brokerlab-test@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
  ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_CONFIG_FILE=$base/rabbitmq RABBITMQ_MNESIA_BASE=$base/db \
  RABBITMQ_LOG_BASE=$base/log RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins RABBITMQ_DIST_PORT=$(free_port)
ctl() { timeout 120 "$sbin/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" "$@"; }
epmd_before=$(pgrep -x epmd || true)

server=
stop_server() {
  [ -n "$server" ] || return 0
  ctl stop >/dev/null 2>&1
  for _ in $(seq 30); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
  kill "$server" 2>/dev/null
  server=
  # epmd outlives the node; stop it if this script started it (it refuses while other nodes live).
  [ -z "$epmd_before" ] && command -v epmd >/dev/null && epmd -kill >/dev/null 2>&1
  return 0
}
trap stop_server EXIT
trap 'stop_server; exit 1' INT TERM

started=$(date +%s)
"$sbin/rabbitmq-server" > "$base/log/server.out" 2>&1 &
server=$!
if ! timeout 120 "$sbin/rabbitmqctl" -q -n "$RABBITMQ_NODENAME" wait --pid "$server" --timeout 110 > "$base/log/wait.out" 2>&1; then
  not_ok "the real RabbitMQ did not start (waited up to 110 s; logs: $base/log/)"
  tail -20 "$base/log/server.out" | sed 's/^/# /'
  finish
fi
echo "# RabbitMQ $(ctl eval 'rabbit_misc:version().' | tr -d '"') up in $(( $(date +%s) - started )) s on 127.0.0.1:$port"
