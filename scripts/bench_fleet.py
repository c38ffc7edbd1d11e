#!/usr/bin/env python3
"""Generates benchmark fleets: N tenants of the quickstart's web blueprint for Landlord, and the
same shape (one terraform_data per resource, the same dependency edges, for_each over a map of
tenants) for Terraform.

  bench_fleet.py landlord DIR N          write DIR/{platform.yaml,blueprints/,tenants/}: one
                                         listener with room for the whole fleet
  bench_fleet.py landlord DIR N --per-listener K
                                         the same tenants on a pool of ceil(N/K)+1 listeners with
                                         AWS's default limits (100 rules, 100 target groups): the
                                         shape of issue 16 (K=50: 2 rules a tenant fill one)
  bench_fleet.py change DIR PERCENT      change the backend image of PERCENT% of the tenants
  bench_fleet.py terraform DIR N         write DIR/main.tf
"""
import os, re, shutil, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUICKSTART = os.path.join(ROOT, "examples", "quickstart")


def tenant(i):
    tid = f"t{i:05d}"
    return tid, (f"apiVersion: landlord/v1\nkind: Tenant\nid: {tid}\nblueprint: web\n"
                 f"parameters: {{subdomain: s{i:05d}, backendImage: \"registry.example.com/backend:1.4.2\"}}\n")


FIRST_LISTENER = """    - arn: arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-1/50dc6c495c0c9188/f2f7dc8efc522ab2
      dnsName: alb-1-123456789.us-east-1.elb.amazonaws.com
"""


def listeners(count):
    """A pool of `count` listeners (one ALB each) with AWS's default limits."""
    out = []
    for i in range(1, count + 1):
        out.append(f"    - arn: arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/alb-{i}/{i:016x}/{i:016x}\n"
                   f"      dnsName: alb-{i}-123456789.us-east-1.elb.amazonaws.com\n"
                   "      maxRules: 100\n      maxTargetGroups: 100\n")
    return "".join(out)


def landlord(d, n, per_listener=None):
    os.makedirs(os.path.join(d, "tenants"), exist_ok=True)
    shutil.copytree(os.path.join(QUICKSTART, "blueprints"), os.path.join(d, "blueprints"), dirs_exist_ok=True)
    platform = open(os.path.join(QUICKSTART, "platform.yaml")).read()
    assert FIRST_LISTENER in platform, "examples/quickstart/platform.yaml changed: update bench_fleet.py"
    if per_listener:
        # Issue 16's shape: one listener per K tenants, plus one with room to spare.
        platform = platform.replace(FIRST_LISTENER, listeners(-(-n // per_listener) + 1))
    else:
        # One listener with room for the whole fleet (the capacity tests cover full pools).
        platform = platform.replace(FIRST_LISTENER, FIRST_LISTENER +
                                    f"      maxRules: {max(100, 2 * n)}\n      maxTargetGroups: {max(100, 2 * n)}\n")
    open(os.path.join(d, "platform.yaml"), "w").write(platform)
    for i in range(n):
        tid, text = tenant(i)
        open(os.path.join(d, "tenants", tid + ".yaml"), "w").write(text)


def change(d, percent):
    files = sorted(os.listdir(os.path.join(d, "tenants")))
    k = max(1, len(files) * percent // 100)
    for name in files[:k]:
        p = os.path.join(d, "tenants", name)
        text = open(p).read()
        open(p, "w").write(text.replace("backend:1.4.2", "backend:1.5.0"))
    print(k)


def blueprint_edges():
    """Resource names and dependencies of the quickstart blueprint (references + dependsOn)."""
    text = open(os.path.join(QUICKSTART, "blueprints", "web.yaml")).read()
    body = text.split("\nresources:\n", 1)[1]
    names, deps, current = [], {}, None
    for line in body.splitlines():
        m = re.match(r"^  ([a-z_]+):\s*$", line)
        if m:
            current = m.group(1)
            names.append(current)
            deps[current] = set()
            continue
        if current:
            for ref in re.findall(r"\$\{([a-z_]+)\.", line):
                if ref not in ("platform", "tenant", "seq", "env"):
                    deps[current].add(ref)
            m = re.search(r"dependsOn: \[([^\]]*)\]", line)
            if m:
                deps[current].update(x.strip() for x in m.group(1).split(","))
    return names, deps


def terraform(d, n):
    os.makedirs(d, exist_ok=True)
    names, deps = blueprint_edges()
    out = ["locals {", "  tenants = {"]
    for i in range(n):
        tid, _ = tenant(i)
        out.append(f'    {tid} = {{ subdomain = "s{i:05d}", image = "registry.example.com/backend:1.4.2" }}')
    out += ["  }", "}", ""]
    for name in names:
        out.append(f'resource "terraform_data" "{name}" {{')
        out.append("  for_each = local.tenants")
        inputs = [f'tenant = each.key', f'subdomain = each.value.subdomain', f'image = each.value.image']
        for dep in sorted(deps[name]):
            inputs.append(f"{dep} = terraform_data.{dep}[each.key].id")
        out.append("  input = { " + ", ".join(inputs) + " }")
        out.append("}")
        out.append("")
    open(os.path.join(d, "main.tf"), "w").write("\n".join(out))
    print(len(names))


if __name__ == "__main__":
    what, d = sys.argv[1], sys.argv[2]
    arg = int(sys.argv[3])
    if what == "landlord" and sys.argv[4:5] == ["--per-listener"]:
        landlord(d, arg, int(sys.argv[5]))
    else:
        {"landlord": landlord, "change": change, "terraform": terraform}[what](d, arg)
