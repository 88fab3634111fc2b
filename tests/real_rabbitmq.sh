#!/usr/bin/env bash
# The differential test against a real RabbitMQ (Debian's rabbitmq-server, 3.10 here): for every
# RabbitMQ preset (and tests/data/rabbit-everything.json, which declares every kind of thing the
# exporter writes), export definitions.json with `brokerlab export`, import it into a fresh vhost
# "/" with `rabbitmqctl import_definitions`, and check that `rabbitmqctl list_queues`,
# `list_exchanges` and `list_bindings` hold exactly what the file declares, AMQP types of the
# arguments included (tests/real_rabbitmq_compare.py). Then the other way: RabbitMQ's own
# `export_definitions` is read back by `brokerlab import-definitions`, exported again, and must
# match the same listings.
#
# The server runs on loopback only, on free ports, with its own node name, cookie, database and
# logs under target/real-rabbitmq/ (started clean every time), and is stopped at the end whatever
# happens. Prints `ok` / `not ok` lines and `# pass N` / `# fail M`; a server that does not start
# is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."
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

# Every RabbitMQ preset, and the fixture.
exports=()
for slug in $("$brokerlab" presets | awk '{print $1}'); do
  if "$brokerlab" export --format definitions "$slug" > "$base/files/$slug.json" 2> "$base/files/$slug.err"; then
    exports+=("$slug")
  elif ! grep -q "has no RabbitMQ section" "$base/files/$slug.err"; then
    not_ok "$slug: brokerlab export failed: $(cat "$base/files/$slug.err")"
  fi
done
"$brokerlab" export --format definitions tests/data/rabbit-everything.json > "$base/files/rabbit-everything.json" \
  && exports+=(rabbit-everything) || not_ok "rabbit-everything: brokerlab export failed"

# A fresh vhost "/", then the file imported and listed. The import is asynchronous: wait until
# the bindings are all there (or 15 s have passed) before listing.
load() {
  local file=$1 want
  ctl delete_vhost / >/dev/null && ctl add_vhost / >/dev/null || return 1
  ctl import_definitions "$file" >/dev/null || return 1
  want=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["bindings"]))' "$file")
  for _ in $(seq 30); do
    [ "$(ctl list_bindings source_name --formatter json | grep -c '"source_name":"[^"]')" -ge "$want" ] && break
    sleep 0.5
  done
}
listings() {
  local out=$1
  ctl list_queues name durable auto_delete arguments --formatter json > "$out.queues" &&
    ctl list_exchanges name type durable auto_delete internal arguments --formatter json > "$out.exchanges" &&
    ctl list_bindings source_name destination_name destination_kind routing_key arguments --formatter json > "$out.bindings"
}
compare() {
  python3 tests/real_rabbitmq_compare.py "$1" "$2.queues" "$2.exchanges" "$2.bindings"
}

for name in "${exports[@]}"; do
  file=$base/files/$name.json
  if ! load "$file"; then
    not_ok "$name: rabbitmqctl import_definitions refused the export: $(ctl import_definitions "$file" 2>&1 | tail -3)"
    continue
  fi
  if ! listings "$base/files/$name"; then
    not_ok "$name: rabbitmqctl list_* failed"
    continue
  fi
  if report=$(compare "$file" "$base/files/$name"); then
    ok "$name: imported by RabbitMQ as exported ($(echo "$report" | tail -1))"
  else
    not_ok "$name: RabbitMQ's topology differs from the export"
    echo "$report" | sed 's/^/#   /'
  fi
  # Back: RabbitMQ's own export, read by brokerlab's import and exported again.
  ctl export_definitions "$base/files/$name.real.json" >/dev/null &&
    "$brokerlab" import-definitions "$base/files/$name.real.json" > "$base/files/$name.scenario.json" 2> "$base/files/$name.notes" &&
    "$brokerlab" export --format definitions "$base/files/$name.scenario.json" > "$base/files/$name.back.json"
  if [ $? -ne 0 ]; then
    not_ok "$name: brokerlab could not read RabbitMQ's export_definitions back: $(tail -3 "$base/files/$name.notes")"
  elif report=$(compare "$base/files/$name.back.json" "$base/files/$name"); then
    ok "$name: RabbitMQ's export_definitions read back by brokerlab import-definitions, same topology"
  else
    not_ok "$name: RabbitMQ's export read back differs"
    echo "$report" | sed 's/^/#   /'
  fi
done
[ "${#exports[@]}" -ge 4 ] || not_ok "only ${#exports[@]} RabbitMQ scenarios were exported (expected every RabbitMQ preset and the fixture)"
finish
