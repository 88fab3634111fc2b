#!/usr/bin/env python3
"""Plays a brokerlab scenario's `rabbit.scripts` on a real RabbitMQ with pika, and compares what the
broker told each script with what `brokerlab observe` says the model told it.

    real_rabbitmq_amqp.py PORT SCENARIO.json EXPECTED.json

EXPECTED.json is `brokerlab observe SCENARIO.json`. Compares, per script, each stream of what it was
told in order (see `streams`); prints the first difference of each stream and exits 1 if there are
any; prints one summary line and exits 0 if all agree; exits 2 if the script could not be played.
What RabbitMQ said is kept beside EXPECTED.json as NAME.real.json.

How a scenario is played (the same operations the model's script clients send, in the same order):
- every name the scenario uses is deleted first (queue.delete / exchange.delete are idempotent), then
  the exchanges, queues (but exclusive ones and those with "declare_at_start": false) and the
  bindings between what exists are declared, as the model's broker does at setup;
- each script gets one connection with one channel (confirm.select if "confirms"); its steps from
  every script run in time order (`at`, then script order), each at its time after the start, and
  between steps every connection's events are processed, so deliveries are seen as they arrive;
- a message's body is "SCRIPT#N", its publisher's script and its publish number from 0;
- after a channel error the script opens a new channel on its connection and goes on; after a
  connection error (540, what streams answer to basic.get, no_ack, nack and reject) a new connection.
"""
import json
import sys
import time

import pika
from pika.exceptions import ChannelClosed, ConnectionClosedByBroker, NackError, UnroutableError

PREDECLARED = {"", "amq.direct", "amq.fanout", "amq.topic", "amq.headers", "amq.match"}


def duration_s(text):
    """A brokerlab duration ("250us", "1.5ms", "2s", "1min") in seconds."""
    for unit, scale in (("min", 60.0), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * scale
    raise ValueError(f"not a duration: {text}")


def plain(v):
    """A header value as JSON has it (pika decodes longstr to str, arrays to lists)."""
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


def delivery(ev, method, props, body, extra):
    headers = dict(props.headers or {})
    deaths = headers.pop("x-death", None)
    o = {"ev": ev, **extra, "msg": body.decode(), "tag": method.delivery_tag, "redelivered": method.redelivered,
         "exchange": method.exchange, "routing_key": method.routing_key,
         "headers": {k: plain(v) for k, v in headers.items()}}
    if deaths is not None:
        o["x-death"] = [{k: plain(v) for k, v in d.items() if k != "time"} for d in deaths]
    return o


class Client:
    """One script: a connection, its current channel, and what the broker told it."""

    def __init__(self, port, spec):
        self.id = spec["id"]
        self.confirms = spec.get("confirms", False)
        self.log = []
        self.published = 0
        self.port = port
        self.conn = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=port))
        self.open()

    def open(self):
        self.ch = self.conn.channel()
        if self.confirms:
            self.ch.confirm_delivery()
        else:
            self.ch.add_on_return_callback(lambda _ch, _m, _p, body: self.log.append({"ev": "return", "msg": body.decode()}))

    def closed(self, code):
        self.log.append({"ev": "closed", "code": code})
        self.open()

    def connection_closed(self, code):
        """A connection error (540 NOT_IMPLEMENTED, as streams refuse basic.get): noted, and a new
        connection with a new channel opened."""
        self.log.append({"ev": "closed", "code": code})
        self.conn = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=self.port))
        self.open()

    def check_closed(self):
        """A channel the broker closed while nothing waited on it (an unknown exchange without confirms,
        an unknown delivery tag): noted, and a new channel opened."""
        if self.ch.is_closed:
            reason = getattr(self.ch, "_closing_reason", None)
            self.closed(getattr(reason, "reply_code", 0))

    def on_message(self, _ch, method, props, body):
        self.log.append(delivery("deliver", method, props, body, {"consumer": method.consumer_tag}))

    def step(self, s, rabbit):
        ch, do = self.ch, s["do"]
        try:
            if do == "publish":
                self.publish(s)
            elif do == "qos":
                ch.basic_qos(prefetch_count=s["prefetch"], global_qos=s.get("global", False))
            elif do == "consume":
                ch.basic_consume(s["queue"], self.on_message, auto_ack=s.get("no_ack", False), consumer_tag=s["tag"],
                                 arguments=s.get("arguments") or None)
            elif do == "cancel":
                ch.basic_cancel(s["tag"])
            elif do == "get":
                method, props, body = ch.basic_get(s["queue"], auto_ack=s.get("no_ack", False))
                if method is None:
                    self.log.append({"ev": "get-empty"})
                else:
                    self.log.append(delivery("get", method, props, body, {"message_count": method.message_count}))
            elif do == "ack":
                ch.basic_ack(s["delivery"], multiple=s.get("multiple", False))
            elif do == "nack":
                ch.basic_nack(s["delivery"], multiple=s.get("multiple", False), requeue=s.get("requeue", True))
            elif do == "reject":
                ch.basic_reject(s["delivery"], requeue=s.get("requeue", True))
            elif do == "declare_exchange":
                declare_exchange(ch, next(x for x in rabbit.get("exchanges", []) if x["name"] == s["exchange"]))
            elif do == "declare_queue":
                declare_queue(ch, next(q for q in rabbit.get("queues", []) if q["name"] == s["queue"]))
            elif do in ("bind", "unbind"):
                bind(ch, s, do == "unbind")
            elif do == "delete_exchange":
                ch.exchange_delete(s["exchange"])
            elif do == "delete_queue":
                ch.queue_delete(s["queue"])
            else:
                raise ValueError(f"unknown step {do}")
        except ChannelClosed as e:
            self.closed(e.reply_code)
        except ConnectionClosedByBroker as e:
            self.connection_closed(e.reply_code)

    def publish(self, s):
        body = f"{self.id}#{self.published}".encode()
        self.published += 1
        props = pika.BasicProperties(
            delivery_mode=2 if s.get("persistent") else None,
            priority=s.get("priority"),
            expiration=str(round(duration_s(s["expiration"]) * 1000)) if "expiration" in s else None,
            headers=s.get("headers") or None,
        )
        msg = body.decode()
        try:
            self.ch.basic_publish(s.get("exchange", ""), s.get("routing_key", ""), body, props,
                                  mandatory=s.get("mandatory", False))
            if self.confirms:
                self.log.append({"ev": "confirm", "msg": msg, "ack": True})
        except UnroutableError:
            self.log.append({"ev": "return", "msg": msg})
            self.log.append({"ev": "confirm", "msg": msg, "ack": True})
        except NackError:
            self.log.append({"ev": "confirm", "msg": msg, "ack": False})


def declare_exchange(ch, x):
    args = {"alternate-exchange": x["alternate-exchange"]} if "alternate-exchange" in x else None
    ch.exchange_declare(x["name"], x["type"], durable=x.get("durable", False), auto_delete=x.get("auto_delete", False),
                        arguments=args)


def declare_queue(ch, q):
    ch.queue_declare(q["name"], durable=q.get("durable", False), exclusive=q.get("exclusive", False),
                     auto_delete=q.get("auto_delete", False), arguments=q.get("arguments") or None)


def bind(ch, b, unbind=False):
    args = b.get("arguments") or None
    key = b.get("routing_key", "")
    if b.get("destination_type", "queue") == "exchange":
        (ch.exchange_unbind if unbind else ch.exchange_bind)(b["destination"], b["source"], key, arguments=args)
    else:
        (ch.queue_unbind if unbind else ch.queue_bind)(b["destination"], b["source"], key, arguments=args)


def names_used(rabbit):
    xs = {x["name"] for x in rabbit.get("exchanges", [])}
    qs = {q["name"] for q in rabbit.get("queues", [])}
    for s in (s for sc in rabbit.get("scripts", []) for s in sc["steps"]):
        if "exchange" in s:
            xs.add(s["exchange"])
        if "queue" in s:
            qs.add(s["queue"])
        if "source" in s:
            xs.add(s["source"])
            (xs if s.get("destination_type", "queue") == "exchange" else qs).add(s["destination"])
    return xs - PREDECLARED, qs


def setup(port, rabbit):
    conn = pika.BlockingConnection(pika.ConnectionParameters(host="127.0.0.1", port=port))
    ch = conn.channel()
    xs, qs = names_used(rabbit)
    for q in sorted(qs):
        ch.queue_delete(q)
    for x in sorted(xs):
        ch.exchange_delete(x)
    later = {x["name"] for x in rabbit.get("exchanges", []) if not x.get("declare_at_start", True)}
    later |= {q["name"] for q in rabbit.get("queues", []) if not q.get("declare_at_start", True) or q.get("exclusive")}
    for x in rabbit.get("exchanges", []):
        if x["name"] not in later:
            declare_exchange(ch, x)
    for q in rabbit.get("queues", []):
        if q["name"] not in later:
            declare_queue(ch, q)
    for b in rabbit.get("bindings", []):
        if b["source"] not in later and b["destination"] not in later:
            bind(ch, b)
    conn.close()


def play(port, scenario):
    rabbit = scenario["rabbit"]
    setup(port, rabbit)
    clients = [Client(port, s) for s in rabbit.get("scripts", [])]
    steps = sorted(((duration_s(s["at"]), i, k, s) for i, sc in enumerate(rabbit["scripts"])
                    for k, s in enumerate(sc["steps"])), key=lambda t: t[:3])
    start = time.monotonic()

    def pump(until):
        while True:
            for c in clients:
                try:
                    c.conn.process_data_events(time_limit=0)
                    c.check_closed()
                except ConnectionClosedByBroker as e:
                    c.connection_closed(e.reply_code)
            if time.monotonic() >= until:
                return
            time.sleep(0.002)

    for at, i, _, s in steps:
        pump(start + at)
        clients[i].step(s, rabbit)
        pump(time.monotonic() + 0.015)
    pump(max(time.monotonic() + 0.1, start + duration_s(scenario.get("until", "0s"))))
    out = {c.id: c.log for c in clients}
    for c in clients:
        c.conn.close()
    return out


def streams(log):
    """A script's log split into what has an order of its own: the deliveries of each consumer tag,
    the answers to basic.get, the confirms and returns of its publishes, its channel closes. How
    those interleave on the wire is not compared: pika's blocking channel hands a delivery that
    arrived during a publish's wait for its confirm to the callback only after the confirm."""
    out = {}
    for o in log:
        ev = o["ev"]
        name = {"deliver": f"deliveries to {o.get('consumer')}", "get": "basic.get", "get-empty": "basic.get",
                "confirm": "publishes", "return": "publishes", "closed": "channel closes"}.get(ev, ev)
        out.setdefault(name, []).append(o)
    return out


def main():
    port, scenario_path, expected_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    scenario = json.load(open(scenario_path))
    expected = json.load(open(expected_path))
    try:
        real = play(port, scenario)
    except Exception as e:  # the script could not be played at all
        print(f"# could not play {scenario_path} on RabbitMQ: {type(e).__name__}: {e}")
        return 2
    with open(expected_path.replace(".model.json", "") + ".real.json", "w") as f:
        json.dump(real, f, indent=1)
    diffs = []
    for script in sorted(set(real) | set(expected)):
        r, m = streams(real.get(script, [])), streams(expected.get(script, []))
        for name in sorted(set(r) | set(m)):
            a, b = r.get(name, []), m.get(name, [])
            for n in range(max(len(a), len(b))):
                x = a[n] if n < len(a) else None
                y = b[n] if n < len(b) else None
                if x != y:
                    where = f"{script} {name}[{n}]"
                    diffs.append(f"{where}: RabbitMQ  {json.dumps(x, sort_keys=True)}")
                    diffs.append(f"{' ' * len(where)}  brokerlab {json.dumps(y, sort_keys=True)}")
                    break
    if diffs:
        print("\n".join(diffs))
        return 1
    print(f"{sum(len(v) for v in real.values())} observations agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
