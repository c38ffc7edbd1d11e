#!/usr/bin/env python3
"""localfs: a reference Landlord provider plugin (protocol 1.1, Providers/PROTOCOL.md).

Manages files in a directory on this machine (`config.root`, relative to the fleet; without one,
as under `landlord provider check`, .landlord/localfs-root, beside the fleet's state and ignored by git):
  localfs.file     a text file: path, content -> sha256 (its id is its path)
  localfs.api_key  a file holding a generated key: path, label -> key (sensitive)
Ownership tags live in ROOT/.landlord-index.json, so a create whose answer was lost is found
again by `import`; a file put there by other means is found by its path (`import` with `key`)
and taken over by `tag` (`landlord adopt`). Standard library only; one request at a time, in order.
"""
import base64
import hashlib
import json
import os
import secrets
import sys

PROTOCOL = "1.1"
VERSION = "1.1.0"
ROOT = "."

TYPES = [
    {
        "type": "localfs.file",
        "description": "a text file under the plugin's root",
        "attributes": {
            "path": {"type": "string", "required": True, "forceNew": True, "description": "relative to the root"},
            "content": {"type": "string", "required": True},
            "sha256": {"type": "string", "computed": True},
        },
        "uniqueKeys": ["path"],
        "dataBearing": True,
        "exportFormat": "txt",
        "waitConditions": ["present"],
        "test": {"create": {"path": "landlord-check/scratch.txt", "content": "a"}, "update": {"content": "b"}},
    },
    {
        "type": "localfs.api_key",
        "description": "a file holding a generated secret key",
        "attributes": {
            "path": {"type": "string", "required": True, "forceNew": True},
            "label": {"type": "string"},
            "key": {"type": "string", "computed": True, "sensitive": True},
        },
        "uniqueKeys": ["path"],
        "test": {"create": {"path": "landlord-check/scratch.key", "label": "a"}, "update": {"label": "b"}},
    },
]
KNOWN = {t["type"] for t in TYPES}


class Refused(Exception):
    """A request Landlord should not have sent: a JSON-RPC invalid-params error."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def diag(summary, detail="", attribute=None):
    d = {"severity": "error", "summary": summary, "detail": detail}
    if attribute:
        d["attribute"] = attribute
    return d


def full(path):
    """The file's place under ROOT; None when the path would leave it."""
    if not isinstance(path, str) or not path or os.path.isabs(path) or ".." in path.split("/"):
        return None
    return os.path.join(ROOT, path)


def index_path():
    return os.path.join(ROOT, ".landlord-index.json")


def load_index():
    try:
        with open(index_path()) as f:
            return json.load(f)
    except FileNotFoundError:
        return {}


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_index(index):
    write_atomic(index_path(), json.dumps(index, indent=1, sort_keys=True))


def current(rtype, rid):
    """The resource as it is on disk, or None."""
    p = full(rid)
    if p is None or not os.path.isfile(p):
        return None
    entry = load_index().get(rid, {})
    with open(p) as f:
        text = f.read()
    if rtype == "localfs.file":
        attrs = {"path": rid, "content": text, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    else:
        attrs = {"path": rid, "label": entry.get("label", ""), "key": text.strip()}
    return {"type": rtype, "id": rid, "attributes": attrs}


def read(params):
    return {"resources": [current(r["type"], r["id"]) for r in params["resources"]], "diagnostics": []}


def apply(params):
    op, rtype, identity = params["operation"], params["type"], params["identity"]
    inputs, prior = params.get("inputs") or {}, params.get("prior")
    if rtype not in KNOWN:
        raise Refused("unknown type " + str(rtype))
    index = load_index()
    if op == "delete":
        rid = prior["id"]
        p = full(rid)
        if p and os.path.exists(p):
            os.remove(p)
        index.pop(rid, None)
        save_index(index)
        return {"resource": None, "diagnostics": []}
    path = inputs.get("path")
    p = full(path)
    if p is None:
        return {"resource": prior, "diagnostics": [diag("path must be relative and stay under the root", "got %r" % path, "path")]}
    owner = index.get(path, {}).get("address")
    if op == "create" and os.path.exists(p) and owner != identity["address"]:
        return {"resource": None, "diagnostics": [
            diag("%s already exists and is not this resource's" % path, "owned by %s; pick another path" % (owner or "nobody"), "path")]}
    if rtype == "localfs.file":
        write_atomic(p, inputs.get("content", ""))
    elif op == "create" or not os.path.exists(p):
        write_atomic(p, secrets.token_urlsafe(24) + "\n")
    index[path] = {"type": rtype, "address": identity["address"], "tenant": identity["tenant"],
                   "platform": identity["platform"], "clientToken": params.get("clientToken"), "label": inputs.get("label", "")}
    save_index(index)
    return {"resource": current(rtype, path), "diagnostics": []}


def import_(params):
    rtype, identity, rid, key = params["type"], params["identity"], params.get("id"), params.get("key")
    if rid is not None:
        found = [current(rtype, rid)]
    elif key is not None:
        # `landlord adopt`: the file at the key's path, unless another address owns it.
        owner = load_index().get(key.get("path"), {}).get("address")
        found = [current(rtype, key.get("path"))] if owner in (None, identity["address"]) else []
    else:
        found = [current(rtype, k) for k, e in sorted(load_index().items())
                 if e.get("address") == identity["address"] and e.get("type") == rtype]
    return {"resources": [r for r in found if r], "diagnostics": []}


def tag(params):
    """`landlord adopt` takes a file over: record it as the identity's, unless another address owns it."""
    r, identity = params["resource"], params["identity"]
    index = load_index()
    owner = index.get(r["id"], {}).get("address")
    if owner not in (None, identity["address"]):
        return {"diagnostics": [diag("%s is tagged for %s" % (r["id"], owner), "a resource of another address is never adopted")]}
    if current(r["type"], r["id"]) is None:
        return {"diagnostics": [diag("%s is not there" % r["id"], "run adopt again")]}
    index[r["id"]] = {"type": r["type"], "address": identity["address"], "tenant": identity["tenant"], "platform": identity["platform"],
                      "clientToken": None, "label": (r.get("attributes") or {}).get("label") or ""}
    save_index(index)
    return {"diagnostics": []}


def wait(params):
    r = params["resource"]
    now = current(r["type"], r["id"])
    return {"resource": now, "diagnostics": [] if now else [diag("%s is not there" % r["id"])]}


def export(params):
    """`deletion: snapshot`: the file's bytes, base64 (Landlord stores them before the delete)."""
    r = params["resource"]
    p = full(r["id"])
    if r["type"] != "localfs.file" or p is None or not os.path.isfile(p):
        return {"diagnostics": [diag("%s cannot be exported" % r["id"], "the file is not there")]}
    with open(p, "rb") as f:
        return {"data": base64.b64encode(f.read()).decode(), "diagnostics": []}


def initialize(params):
    global ROOT
    major = str(params.get("protocolVersion", "")).split(".")[0]
    if major != PROTOCOL.split(".")[0]:
        raise Refused("this plugin speaks protocol %s, not %s" % (PROTOCOL, params.get("protocolVersion")))
    ROOT = os.path.abspath((params.get("config") or {}).get("root", os.path.join(".landlord", "localfs-root")))
    os.makedirs(ROOT, exist_ok=True)
    log("localfs %s serving files under %s" % (VERSION, ROOT))
    return {"protocolVersion": PROTOCOL, "provider": {"name": "localfs", "version": VERSION},
            "capabilities": {"maxConcurrency": 8, "concurrencyKeys": {"*": []}}}


METHODS = {
    "initialize": initialize,
    "schema": lambda params: {"resources": TYPES},
    "read": read,
    "apply": apply,
    "import": import_,
    "wait": wait,
    "export": export,
    "tag": tag,
    "shutdown": lambda params: {},
}


def answer(msg_id, result=None, error=None):
    out = {"jsonrpc": "2.0", "id": msg_id}
    if error:
        out["error"] = error
    else:
        out["result"] = result
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as e:
            answer(None, error={"code": -32700, "message": "parse error: %s" % e})
            continue
        if not isinstance(msg, dict):
            answer(None, error={"code": -32600, "message": "invalid request"})
            continue
        method, msg_id = msg.get("method"), msg.get("id")
        if method not in METHODS:
            answer(msg_id, error={"code": -32601, "message": "method not found: %s" % method})
            continue
        try:
            answer(msg_id, METHODS[method](msg.get("params") or {}))
        except (Refused, KeyError, TypeError) as e:
            answer(msg_id, error={"code": -32602, "message": "invalid params: %r" % (e,)})
        except OSError as e:
            answer(msg_id, {"resource": None, "resources": [], "diagnostics": [diag("file system error: %s" % e, "check the root's permissions")]})
        if method == "shutdown":
            return


if __name__ == "__main__":
    main()
