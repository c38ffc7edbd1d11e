#!/usr/bin/env python3
"""bench_plugin.py DIR N KIND: a fleet of N tenants with one resource each, created through
the in-process mock (KIND=mock: an aws.dynamodb_item) or through a plugin that answers at once
(KIND=plugin: Tests/PluginProviderTests/Fixtures/instant.py, a fast.thing)."""
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
d, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(os.path.join(d, "blueprints"), exist_ok=True)
os.makedirs(os.path.join(d, "tenants"), exist_ok=True)
plugin = os.path.join(root, "Tests/PluginProviderTests/Fixtures/instant.py")
with open(os.path.join(d, "platform.yaml"), "w") as f:
    f.write("apiVersion: landlord/v1\nkind: Platform\nname: bench\n")
    f.write("provider:\n  aws: {region: us-east-1, use: mock}\n")
    if kind == "plugin":
        f.write('  fast: {command: ["python3", "%s"]}\n' % plugin)
resource = ('thing: {type: fast.thing, properties: {name: "${tenant.id}"}}' if kind == "plugin"
            else 'thing: {type: aws.dynamodb_item, properties: {table: bench, key: {pk: "${tenant.id}"}, item: {n: 1}}}')
with open(os.path.join(d, "blueprints/one.yaml"), "w") as f:
    f.write("apiVersion: landlord/v1\nkind: Blueprint\nname: one\nresources:\n  %s\n" % resource)
for i in range(n):
    with open(os.path.join(d, "tenants/t%05d.yaml" % i), "w") as f:
        f.write("apiVersion: landlord/v1\nkind: Tenant\nid: t%05d\nblueprint: one\n" % i)
