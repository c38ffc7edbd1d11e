#!/usr/bin/env python3
"""validate_messages.py SCHEMA LOG: checks every captured message against the protocol's JSON
Schema (requests, responses, and each result against its method's). Prints one line per
invalid message and a count; exits 1 when any is invalid or none was captured."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft202012Validator(schema)
defs = schema["$defs"]
methods, counts, bad = {}, {}, 0


def check(instance, ref, what):
    global bad
    v = jsonschema.Draft202012Validator({"$ref": ref, "$defs": defs})
    for e in v.iter_errors(instance):
        bad += 1
        print("invalid %s: %s at %s: %s" % (what, e.message, list(e.absolute_path), json.dumps(instance)[:200]))


for raw in open(sys.argv[2]):
    direction, line = raw[:2], raw[2:]
    msg = json.loads(line)
    for e in validator.iter_errors(msg):
        bad += 1
        print("invalid message: %s: %s" % (e.message, line[:200]))
    if direction == "> ":
        methods[msg["id"]] = msg["method"]
        counts[msg["method"]] = counts.get(msg["method"], 0) + 1
        check(msg, "#/$defs/request", "request")
    else:
        check(msg, "#/$defs/response", "response")
        method = methods.get(msg.get("id"))
        if method and "result" in msg:
            check(msg["result"], "#/$defs/results/" + method, method + " result")
print("checked", sum(counts.values()), "requests:", json.dumps(counts, sort_keys=True), "invalid:", bad)
sys.exit(1 if bad or not counts else 0)
