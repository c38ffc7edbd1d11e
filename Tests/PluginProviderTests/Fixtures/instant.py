#!/usr/bin/env python3
"""A plugin serving `fast.thing` that answers every call at once (the overhead benchmark and
the concurrency tests): creates return the inputs with an id, nothing is kept."""
import json
import sys

out = sys.stdout
for line in sys.stdin:
    msg = json.loads(line)
    method, msg_id, params = msg["method"], msg["id"], msg.get("params") or {}
    if method == "initialize":
        res = {"protocolVersion": "1.0", "provider": {"name": "fast", "version": "1"}, "capabilities": {"maxConcurrency": 64}}
    elif method == "schema":
        res = {"resources": [{"type": "fast.thing", "attributes": {"name": {"type": "string", "required": True},
                                                                   "id": {"type": "string", "computed": True}}}]}
    elif method == "apply":
        rid = "t-%d" % msg_id
        res = {"resource": None if params["operation"] == "delete" else
               {"type": params["type"], "id": rid, "attributes": dict(params["inputs"], id=rid)}, "diagnostics": []}
    elif method == "read":
        res = {"resources": params["resources"], "diagnostics": []}
    elif method == "import":
        res = {"resources": [], "diagnostics": []}
    else:
        res = {}
    out.write(json.dumps({"jsonrpc": "2.0", "id": msg_id, "result": res}) + "\n")
    out.flush()
    if method == "shutdown":
        break
