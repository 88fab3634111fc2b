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
source tests/real_rabbitmq_server.sh

# `tests/real_rabbitmq.sh amqp [NAME…]` runs the AMQP scripts only (those named, or all).
only_amqp=
if [ "${1:-}" = amqp ]; then only_amqp=1; shift; fi

# Every RabbitMQ preset, and the fixture.
exports=()
[ -n "$only_amqp" ] || {
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
}

# Behaviour: every scenario in tests/data/amqp/ is played by its scripts on the real broker with
# pika (tests/real_rabbitmq_amqp.py) and run by `brokerlab observe`; what the broker told each
# script (deliveries per consumer tag with redelivered flags, headers, x-death, basic.get counts,
# confirms, returns, channel closes) must be the same, in the same order.
python=
for p in python3 /usr/bin/python3; do
  if "$p" -c 'import pika' 2>/dev/null; then python=$p; break; fi
done
if [ -z "$python" ]; then
  not_ok "no Python with pika (scripts/setup.sh --browser installs python3-pika)"
  finish
fi
# A fresh vhost "/" that the guest user may use (the imports above replaced it).
ctl delete_vhost / >/dev/null 2>&1
ctl add_vhost / >/dev/null && ctl set_permissions -p / guest '.*' '.*' '.*' >/dev/null ||
  { not_ok "could not make a fresh vhost / for the AMQP scripts"; finish; }
mkdir -p "$base/amqp"
scripts=("$@")
[ "${#scripts[@]}" -gt 0 ] || scripts=($(ls tests/data/amqp/*.json | xargs -n1 basename | sed 's/\.json$//'))
for name in "${scripts[@]}"; do
  file=tests/data/amqp/$name.json
  if ! "$brokerlab" observe "$file" > "$base/amqp/$name.model.json" 2> "$base/amqp/$name.err"; then
    not_ok "amqp $name: brokerlab observe failed: $(cat "$base/amqp/$name.err")"
    continue
  fi
  if report=$("$python" tests/real_rabbitmq_amqp.py "$port" "$file" "$base/amqp/$name.model.json" 2>&1); then
    ok "amqp $name: $(echo "$report" | tail -1)"
  else
    not_ok "amqp $name: what RabbitMQ told the scripts differs from the model"
    echo "$report" | sed 's/^/#   /'
  fi
done
finish
