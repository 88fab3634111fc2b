"""Compares what a real RabbitMQ holds after `rabbitmqctl import_definitions` with the
definitions.json brokerlab exported (tests/real_rabbitmq.sh runs it once per file).

usage: real_rabbitmq_compare.py DEFINITIONS.json QUEUES.json EXCHANGES.json BINDINGS.json
The last three are `rabbitmqctl list_* … --formatter json` outputs. Prints the differences,
one per line, and exits 1 if there are any.
"""
import json
import sys

# How rabbitmqctl names the AMQP type of each JSON value the exporter writes.
AMQP_TYPES = {bool: "bool", int: "long", float: "double", str: "longstr"}


def expected_args(args):
    """A definitions.json `arguments` object as rabbitmqctl lists it: {key: (type, value)}."""
    return {k: (AMQP_TYPES[type(v)], v) for k, v in args.items()}


def listed_args(args):
    """rabbitmqctl's `[[key, type, value], …]`."""
    return {k: (t, v) for k, t, v in args}


def predeclared(name):
    return name == "" or name.startswith("amq.")


def main(defs_path, queues_path, exchanges_path, bindings_path):
    defs = json.load(open(defs_path))
    queues = json.load(open(queues_path))
    exchanges = json.load(open(exchanges_path))
    bindings = json.load(open(bindings_path))

    want_q = {q["name"]: (q["durable"], q["auto_delete"], expected_args(q["arguments"])) for q in defs["queues"]}
    got_q = {q["name"]: (q["durable"], q["auto_delete"], listed_args(q["arguments"])) for q in queues}

    want_x = {
        x["name"]: (x["type"], x["durable"], x["auto_delete"], x["internal"], expected_args(x["arguments"]))
        for x in defs["exchanges"]
    }
    got_x = {
        x["name"]: (x["type"], x["durable"], x["auto_delete"], x["internal"], listed_args(x["arguments"]))
        for x in exchanges
        if not predeclared(x["name"])
    }

    def binding_key(source, dest, kind, key, args):
        return (source, dest, kind, key, json.dumps(sorted(args.items())))

    want_b = sorted(
        binding_key(b["source"], b["destination"], b["destination_type"], b["routing_key"], expected_args(b["arguments"]))
        for b in defs["bindings"]
    )
    # The default exchange's bindings are implicit: one per queue, not in any definitions file.
    got_b = sorted(
        binding_key(b["source_name"], b["destination_name"], b["destination_kind"], b["routing_key"], listed_args(b["arguments"]))
        for b in bindings
        if b["source_name"] != ""
    )

    problems = []
    for what, want, got in (("queue", want_q, got_q), ("exchange", want_x, got_x)):
        for name in sorted(set(want) | set(got)):
            if name not in got:
                problems.append(f"{what} {name!r} was exported but RabbitMQ does not have it")
            elif name not in want:
                problems.append(f"{what} {name!r} is in RabbitMQ but was not exported")
            elif want[name] != got[name]:
                problems.append(f"{what} {name!r}: exported {want[name]}, RabbitMQ has {got[name]}")
    for b in sorted(set(want_b) ^ set(got_b)):
        side = "exported but not in RabbitMQ" if b in want_b else "in RabbitMQ but not exported"
        problems.append(f"binding {b}: {side}")
    if len(want_b) != len(got_b):
        problems.append(f"{len(want_b)} bindings exported, RabbitMQ has {len(got_b)}")
    for p in problems:
        print(p)
    print(f"{len(got_q)} queues, {len(got_x)} exchanges, {len(got_b)} bindings")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
