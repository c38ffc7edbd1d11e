#!/usr/bin/env python3
"""What scripts/differential.sh and scripts/differential-services.sh share: the comparison of two
fleets' recorded state (one applied against the real servers, one on the mock) and the mock's
out-of-band writes.

    differential_lib.py compare REAL_TENANTS_DIR MOCK_TENANTS_DIR COUNTS_JSON [REAL_NAME]
        Every resource of every tenant: recorded inputs equal (a value taken from a resource it
        depends on compared as a reference to it, since the two sides allocate their own ids),
        outputs of the same shape (ARNs by service, UUIDs, timestamps and numbers by pattern).
        Prints each disagreement and known emulator gap; writes {types, attributes, disagreements}.
    differential_lib.py mock-drift MOCK_FLEET_DIR TENANT DRIFTS_JSON [CLOUD]
        Changes attributes of the mock's simulated cloud as another process writing it would
        (through its journal, under its lock). DRIFTS_JSON: [[resource, [path...], value], ...];
        a null value removes the key. CLOUD: the simulated cloud's file when not the fleet's own
        (LANDLORD_MOCK_CLOUD).
"""
import fcntl, json, os, re, sys


def load(d):
    return {f[:-5]: json.load(open(os.path.join(d, f))) for f in sorted(os.listdir(d)) if f.endswith(".json")}


def refs(state, names):
    """The ids and output strings of these resources of a tenant -> a name for each (`<backend_tg.arn>`)."""
    out = {}
    for name in names:
        r = state["resources"].get(name)
        if r is None:
            continue
        if isinstance(r.get("id"), str) and len(r["id"]) >= 6:
            out[r["id"]] = f"<{name}.id>"
        for k, v in (r.get("outputs") or {}).items():
            if isinstance(v, str) and len(v) >= 6:
                out.setdefault(v, f"<{name}.{k}>")
    return out


def normalize(v, names):
    if isinstance(v, str):
        for value in sorted(names, key=len, reverse=True):
            if value in v:
                v = v.replace(value, names[value])
        return v
    if isinstance(v, list):
        return [normalize(x, names) for x in v]
    if isinstance(v, dict):
        return {k: normalize(x, names) for k, x in v.items()}
    return v


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
STRIPE_ID = re.compile(r"^(cus|sub|pi|in|price|prod)_[A-Za-z0-9]{8,}$")


def shape(v):
    if isinstance(v, bool): return "bool"
    if isinstance(v, (int, float)): return "number"
    if isinstance(v, str):
        if v.startswith("arn:"): return "arn:" + (v.split(":")[2] if v.count(":") >= 2 else "?")
        if UUID.match(v): return "uuid"
        if STAMP.match(v): return "timestamp"
        if STRIPE_ID.match(v): return "stripe-id:" + v.split("_")[0]
        if v.isdigit(): return "digits"
        return "string"
    if isinstance(v, list): return "list"
    if isinstance(v, dict):
        if set(v) in ({"sealed"}, {"sensitive"}) or "ciphertext" in v: return "sealed"
        return "map"
    return "null" if v is None else type(v).__name__


# Where an emulator itself differs from the service (and the mock follows the service): reported,
# not counted. Never change the provider or the mock to suit these.
EMULATOR_GAPS = {
    ("aws.cognito_user_pool_client", "clientSecret", "uuid", "string"):
        "moto makes a UUID; AWS (and the mock) a 51-character alphanumeric secret",
    ("aws.sesv2_contact", "lastUpdated", "timestamp", "string"):
        "moto sends LastUpdatedTimestamp as ISO 8601 text; SESv2's REST-JSON protocol (and the mock) epoch seconds",
}


def compare(real_dir, mock_dir, counts_path, real_name="moto"):
    real, mock = load(real_dir), load(mock_dir)
    types, attributes, disagreements, gaps = set(), 0, [], []
    for tenant in sorted(set(real) | set(mock)):
        a, b = real.get(tenant), mock.get(tenant)
        if a is None or b is None:
            disagreements.append(f"{tenant}: state only on {'mock' if a is None else real_name}")
            continue
        ra, rb = a["resources"], b["resources"]
        for name in sorted(set(ra) | set(rb)):
            x, y = ra.get(name), rb.get(name)
            where = f"{tenant}/{name}"
            if x is None or y is None:
                disagreements.append(f"{where}: recorded only on {'mock' if x is None else real_name}")
                continue
            if x["type"] != y["type"]:
                disagreements.append(f"{where}: type {x['type']} on {real_name}, {y['type']} on mock")
                continue
            types.add(x["type"])
            na, nb = refs(a, x.get("dependencies") or []), refs(b, y.get("dependencies") or [])
            xi, yi = x.get("inputs") or {}, y.get("inputs") or {}
            for k in sorted(set(xi) | set(yi)):
                attributes += 1
                if normalize(xi.get(k), na) != normalize(yi.get(k), nb):
                    disagreements.append(f"{where}: input {k}: {real_name} {json.dumps(normalize(xi.get(k), na))[:120]}, "
                                         f"mock {json.dumps(normalize(yi.get(k), nb))[:120]}")
            xo, yo = x.get("outputs") or {}, y.get("outputs") or {}
            for k in sorted(set(xo) | set(yo)):
                attributes += 1
                if k not in xo or k not in yo:
                    disagreements.append(f"{where}: output {k} only on {real_name if k in xo else 'mock'}")
                elif (x["type"], k, shape(xo[k]), shape(yo[k])) in EMULATOR_GAPS:
                    gaps.append(f"{where}: output {k}: {EMULATOR_GAPS[(x['type'], k, shape(xo[k]), shape(yo[k]))]}")
                elif shape(xo[k]) != shape(yo[k]):
                    disagreements.append(f"{where}: output {k} is {shape(xo[k])} on {real_name}, {shape(yo[k])} on mock")
    for g in gaps:
        print("moto gap (not counted): " + g)
    for d in disagreements:
        print("disagreement: " + d)
    json.dump({"types": len(types), "attributes": attributes, "disagreements": len(disagreements),
               "type_names": sorted(types)}, open(counts_path, "w"))


def mock_drift(fleet, tenant, drifts, cloud=None):
    mock_state = json.load(open(f"{fleet}/.landlord/state/tenants/{tenant}.json"))["resources"]
    base = cloud or f"{fleet}/.landlord/mock-cloud.json"
    with open(base + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        current = {}
        for line in open(base):
            line = line.strip().rstrip(",")
            if line.startswith('{"type"'):
                o = json.loads(line)
                current[(o["type"], o["id"])] = o
        if os.path.exists(base + ".journal"):
            for line in open(base + ".journal"):
                op = json.loads(line)
                if op.get("op") == "put":
                    current[(op["resource"]["type"], op["resource"]["id"])] = op["resource"]
                elif op.get("op") == "delete":
                    current.pop((op.get("type"), op.get("id")), None)
        with open(base + ".journal", "a") as journal:
            for name, path, value in drifts:
                m = mock_state[name]
                o = current[(m["type"], m["id"])]
                target = o["attributes"]
                for step in path[:-1]:
                    target = target[step]
                if value is None:
                    target.pop(path[-1], None)
                else:
                    target[path[-1]] = value
                journal.write(json.dumps({"op": "put", "resource": o}, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4], *(sys.argv[5:6]))
    elif len(sys.argv) in (5, 6) and sys.argv[1] == "mock-drift":
        mock_drift(sys.argv[2], sys.argv[3], json.load(open(sys.argv[4])), *(sys.argv[5:6]))
    else:
        sys.exit(__doc__)
