#!/usr/bin/env python3
"""Helper of scripts/crash-test.sh: generates the fleet, mutates it between rounds and checks
state files and the simulated cloud. Standard library only.

  crash_check.py gen FLEET COUNT           tenant files c00..cNN from the quickstart blueprint
  crash_check.py mutate FLEET ROUND SEED   park / restore tenants, change backend images
  crash_check.py parse FLEET               every state file is JSON (exit 1 naming the bad ones)
  crash_check.py final FLEET               orphans, missing, duplicates, pending (exit 1 if any)
"""
import json
import os
import random
import sys


def tenant_yaml(tid, image):
    return (
        "apiVersion: landlord/v1\nkind: Tenant\n"
        f"id: {tid}\nblueprint: web\n"
        f"parameters: {{subdomain: {tid}-app, tier: basic, backendImage: \"registry.example.com/backend:{image}\"}}\n"
    )


def gen(fleet, count):
    tdir = os.path.join(fleet, "tenants")
    os.makedirs(tdir, exist_ok=True)
    for name in os.listdir(tdir):
        os.remove(os.path.join(tdir, name))
    for i in range(count):
        tid = f"c{i:02d}"
        with open(os.path.join(tdir, tid + ".yaml"), "w") as f:
            f.write(tenant_yaml(tid, "1.0.0"))


def mutate(fleet, rnd, seed):
    """Changes the fleet so the next apply has creates, deletes and replacements to do.
    Parked tenant files (deleted tenants) wait in FLEET/.parked until a later round restores them."""
    rng = random.Random(seed * 100003 + rnd)
    tdir = os.path.join(fleet, "tenants")
    pdir = os.path.join(fleet, ".parked")
    os.makedirs(pdir, exist_ok=True)
    active = sorted(n for n in os.listdir(tdir) if n.endswith(".yaml"))
    parked = sorted(n for n in os.listdir(pdir) if n.endswith(".yaml"))
    did = []
    if parked and rng.random() < 0.5:
        for n in parked:
            os.rename(os.path.join(pdir, n), os.path.join(tdir, n))
        did.append(f"restore {len(parked)}")
        active += parked
    if len(active) > 10 and rng.random() < 0.5:
        gone = rng.sample(active, rng.randint(2, 4))
        for n in gone:
            os.rename(os.path.join(tdir, n), os.path.join(pdir, n))
            active.remove(n)
        did.append("delete " + ",".join(n[:-5] for n in gone))
    if not did or rng.random() < 0.5:
        changed = rng.sample(active, min(len(active), rng.randint(3, 8)))
        for n in changed:
            with open(os.path.join(tdir, n), "w") as f:
                f.write(tenant_yaml(n[:-5], f"1.{rnd}.{rng.randint(0, 9)}"))
        did.append("replace image " + ",".join(n[:-5] for n in changed))
    print("; ".join(did))


def state_files(fleet):
    sdir = os.path.join(fleet, ".landlord", "state")
    tdir = os.path.join(sdir, "tenants")
    files = [os.path.join(tdir, n) for n in sorted(os.listdir(tdir)) if n.endswith(".json")] if os.path.isdir(tdir) else []
    if os.path.exists(os.path.join(sdir, "platform.json")):
        files.append(os.path.join(sdir, "platform.json"))
    return files


def parse(fleet):
    bad = []
    for p in state_files(fleet):
        try:
            with open(p, "rb") as f:
                json.load(f)
        except Exception as e:  # noqa: BLE001 - any failure to read is a torn file
            bad.append(f"{p}: {e}")
    for b in bad:
        print(f"TORN STATE FILE {b}", file=sys.stderr)
    print(f"state files: {len(state_files(fleet))}, unparseable: {len(bad)}")
    return 1 if bad else 0


def load_cloud(fleet):
    """The simulated cloud: the JSON snapshot, then the journal replayed (a torn last line ignored)."""
    path = os.path.join(fleet, ".landlord", "mock-cloud.json")
    resources = {}
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path, "rb") as f:
            doc = json.load(f)
        for r in doc.get("resources", []):
            resources[r["type"] + "|" + r["id"]] = r
    jpath = path + ".journal"
    if os.path.exists(jpath):
        with open(jpath, "rb") as f:
            data = f.read()
        for line in data.split(b"\n")[:-1]:  # the part after the last newline is torn or empty
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("op") == "put":
                r = e["resource"]
                resources[r["type"] + "|" + r["id"]] = r
            elif e.get("op") == "del":
                resources.pop(e["key"], None)
    return resources


def untag(v):
    """State values may be tagged ({"$sensitive": ...}); the checks only need plain scalars."""
    if isinstance(v, dict) and len(v) == 1 and next(iter(v)).startswith("$"):
        return untag(next(iter(v.values())))
    return v


def final(fleet):
    cloud = load_cloud(fleet)
    recorded = {}  # TYPE|ID -> address
    pending = []
    double = []  # one cloud resource recorded under two addresses
    tdir = os.path.join(fleet, ".landlord", "state", "tenants")
    states = {}
    for p in state_files(fleet):
        if p.endswith("platform.json"):
            continue
        with open(p) as f:
            doc = json.load(f)
        states[doc["tenant"]] = doc
        for name, r in doc.get("resources", {}).items():
            k = r["type"] + "|" + r["id"]
            if k in recorded:
                double.append(f"{k} recorded as {recorded[k]} and {doc['tenant']}/{name}")
            recorded[k] = doc["tenant"] + "/" + name
        pending += [doc["tenant"] + "/" + n for n in doc.get("pending", {})]
    orphans = sorted(k for k in cloud if k not in recorded)
    missing = sorted(f"{a} ({k})" for k, a in recorded.items() if k not in cloud)
    by_address = {}
    for k, r in cloud.items():
        a = r.get("tags", {}).get("landlord:address")
        if a:
            by_address.setdefault(a, []).append(k)
    duplicates = sorted(a for a, ks in by_address.items() if len(ks) > 1)
    # Rule priorities: unique per listener in the cloud, and the platform state agrees.
    prio = {}
    for r in cloud.values():
        if r["type"] == "aws.lb_listener_rule":
            a = r["attributes"]
            prio.setdefault((untag(a.get("listener")), untag(a.get("priority"))), []).append(r["tags"].get("landlord:address"))
    clashes = sorted(f"{l} priority {p}: {ws}" for (l, p), ws in prio.items() if len(ws) > 1)
    disagree = []
    ppath = os.path.join(fleet, ".landlord", "state", "platform.json")
    if os.path.exists(ppath):
        with open(ppath) as f:
            allocs = json.load(f).get("allocations", {})
        for (l, p), ws in prio.items():
            for w in ws:
                t, name = (w or "?/?").split("/", 1)
                a = allocs.get(t, {})
                # `member` and `numbers`; platform documents of older versions say `listener` and `priorities`.
                numbers = a.get("numbers", a.get("priorities", {}))
                if numbers.get(name) != p or a.get("member", a.get("listener")) != l:
                    disagree.append(f"{w}: cloud {p}, platform state {numbers.get(name)}")
        for t in allocs:
            if t not in states:
                disagree.append(f"platform state holds an allocation for {t}, which has no state")
    for label, items in (("ORPHAN (in cloud, not in state)", orphans), ("MISSING (in state, not in cloud)", missing),
                         ("DUPLICATE landlord:address", duplicates), ("PENDING intent left", pending),
                         ("RECORDED TWICE", double), ("PRIORITY CLASH", clashes), ("ALLOCATION MISMATCH", disagree)):
        for i in items:
            print(f"{label}: {i}", file=sys.stderr)
    print(f"cloud resources: {len(cloud)}, recorded: {len(recorded)}, tenants with state: {len(states)}")
    print(f"orphans: {len(orphans)}")
    print(f"missing: {len(missing)}")
    print(f"duplicates: {len(duplicates)}")
    print(f"pending: {len(pending)}, recorded twice: {len(double)}, priority clashes: {len(clashes)}, allocation mismatches: {len(disagree)}")
    return 1 if (orphans or missing or duplicates or pending or double or clashes or disagree) else 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, fleet = argv[1], argv[2]
    if cmd == "gen":
        gen(fleet, int(argv[3]))
        return 0
    if cmd == "mutate":
        mutate(fleet, int(argv[3]), int(argv[4]))
        return 0
    if cmd == "parse":
        return parse(fleet)
    if cmd == "final":
        return final(fleet)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
