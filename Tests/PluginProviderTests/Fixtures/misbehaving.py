#!/usr/bin/env python3
"""A test plugin serving `bad.thing` (in memory) that misbehaves as its first argument says:
well (no fault), dies_mid_call, never_answers, garbage, twice, unknown_id, exit_at_start,
wrong_major, slow_shutdown, null_create (answers `resource: null` without a diagnostic),
adopts_any (declares `test` inputs and imports every thing it holds, whoever it is tagged for),
bad_computed (returns the computed int `size` as a string), refuses (an error diagnostic with
attribute and code). The fault hits `apply` calls whose inputs' name contains "boom"
(every apply when BAD_ALL is set), so a test can mix good and bad resources."""
import json
import os
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "well"
store = {}
print("misbehaving plugin starting in mode %s" % MODE, file=sys.stderr, flush=True)
print("env: " + ",".join(sorted(os.environ)), file=sys.stderr, flush=True)
if MODE == "exit_at_start":
    print("fatal: cannot reach the billing API", file=sys.stderr, flush=True)
    sys.exit(3)


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def result(msg_id, res):
    send({"jsonrpc": "2.0", "id": msg_id, "result": res})


for line in sys.stdin:
    msg = json.loads(line)
    method, msg_id, params = msg["method"], msg.get("id"), msg.get("params") or {}
    if method == "initialize":
        version = "2.0" if MODE == "wrong_major" else "1.3"
        result(msg_id, {"protocolVersion": version, "provider": {"name": "bad", "version": "0.0.1"},
                        "capabilities": {"maxConcurrency": 4}, "futureField": {"ignored": True}})
    elif method == "schema":
        result(msg_id, {"resources": [{"type": "bad.thing", "attributes": {
            "name": {"type": "string", "required": True, "forceNew": True},
            "secret": {"type": "string", "computed": True, "sensitive": True},
            "id": {"type": "string", "computed": True},
            "size": {"type": "int", "computed": True}}, "futureField": 1,
            **({"test": {"create": {"name": "scratch"}}} if MODE == "adopts_any" else {})}]})
    elif method == "apply":
        faulty = "boom" in str(params.get("inputs", {}).get("name", "")) or os.environ.get("BAD_ALL") == "1"
        if faulty and MODE == "dies_mid_call":
            print("segfault in the billing client", file=sys.stderr, flush=True)
            os._exit(1)
        if faulty and MODE == "never_answers":
            continue
        if faulty and MODE == "garbage":
            sys.stdout.write("Traceback (most recent call last): oops\n")
            sys.stdout.flush()
            continue
        if faulty and MODE == "refuses":
            result(msg_id, {"resource": None, "diagnostics": [{"severity": "error", "summary": "the name is taken",
                            "detail": "choose another name", "attribute": "name", "code": "NameTaken"}]})
            continue
        if faulty and MODE == "null_create":
            result(msg_id, {"resource": None, "diagnostics": []})
            continue
        if faulty and MODE == "unknown_id":
            result(msg_id + 1000, {"resource": None, "diagnostics": []})
            continue
        if params["operation"] == "delete":
            store.pop(params["prior"]["id"], None)
            res = {"resource": None, "diagnostics": []}
        else:
            rid = params["prior"]["id"] if params.get("prior") else "thing-" + params["inputs"]["name"]
            size = "5" if faulty and MODE == "bad_computed" else 5
            res = {"resource": {"type": "bad.thing", "id": rid, "attributes": dict(params["inputs"], id=rid, secret="s3cr3t-" + rid, size=size)},
                   "diagnostics": []}
            store[rid] = res["resource"]
        result(msg_id, res)
        if faulty and MODE == "twice":
            result(msg_id, res)
    elif method == "read":
        result(msg_id, {"resources": [store.get(r["id"]) for r in params["resources"]], "diagnostics": []})
    elif method == "import":
        found = [r for r in store.values() if params.get("id") in (None, r["id"])]
        result(msg_id, {"resources": found, "diagnostics": []})
    elif method == "shutdown":
        result(msg_id, {})
        if MODE == "slow_shutdown":
            time.sleep(60)
        break
    else:
        send({"jsonrpc": "2.0", "id": msg_id, "error": {"code": -32601, "message": "method not found"}})
