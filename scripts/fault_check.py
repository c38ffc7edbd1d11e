#!/usr/bin/env python3
"""Checks a fleet after scripts/fault-test.sh's runs, with no faults: the simulated cloud
(FLEET/.landlord/mock-cloud.json and its journal) against `landlord state list`, and the lock
objects left in the state bucket.

  fault_check.py FLEET STATE_LIST_FILE ENDPOINT BUCKET PREFIX
Prints what it found; exits 1 on a duplicate (two cloud resources of one address), an orphan
(a cloud resource no state records), a recorded resource missing from the cloud, or a lock left.
"""
import json, os, re, sys, urllib.request

fleet, listing, endpoint, bucket, prefix = sys.argv[1:6]
cloud_path = os.path.join(fleet, ".landlord", "mock-cloud.json")
resources = {}
if os.path.exists(cloud_path):
    for r in json.load(open(cloud_path)).get("resources", []):
        resources[r["type"] + "|" + r["id"]] = r
journal = cloud_path + ".journal"
if os.path.exists(journal):
    for line in open(journal):
        line = line.strip()
        if not line:
            continue
        entry = json.loads(line)
        if entry.get("op") == "put":
            r = entry["resource"]
            resources[r["type"] + "|" + r["id"]] = r
        elif entry.get("op") == "del":
            resources.pop(entry["key"], None)

by_address = {}
for r in resources.values():
    address = (r.get("tags") or {}).get("landlord:address")
    if address:
        by_address.setdefault(address, []).append(r["type"] + "|" + r["id"])
recorded = {line.strip() for line in open(listing) if line.strip()}
duplicates = {a: ks for a, ks in by_address.items() if len(ks) > 1}
orphans = sorted(a for a in by_address if a not in recorded)
missing = sorted(a for a in recorded if a not in by_address)

url = f"{endpoint}/{bucket}?list-type=2&prefix={prefix}/locks/"
locks = re.findall(r"<Key>([^<]+)</Key>", urllib.request.urlopen(url).read().decode())

print(f"check: {len(resources)} cloud resources ({len(by_address)} addresses), {len(recorded)} recorded; "
      f"{len(duplicates)} duplicated, {len(orphans)} orphaned, {len(missing)} recorded but not in the cloud, {len(locks)} locks left")
for what, items in (("duplicate", list(duplicates)), ("orphan", orphans), ("missing", missing), ("lock", locks)):
    for item in items[:10]:
        print(f"  {what}: {item}")
sys.exit(1 if duplicates or orphans or missing or locks else 0)
