#!/usr/bin/env python3
"""What Checkov and the Rego policy report on the examples' Terraform-format plans
(scripts/checkov.sh writes them into DIR): asserts the check ids that fire on which addresses,
and prints every result so the run's log shows them. Exits 1 naming each expectation not met."""
import json
import pathlib
import sys

import yaml
from regopy import Interpreter

work = pathlib.Path(sys.argv[1])
repo = pathlib.Path(__file__).resolve().parent.parent
failures = []


def checkov(fleet):
    """{(check id, address): "PASSED" or "FAILED"} of Checkov's report on FLEET's plan."""
    report = json.loads((work / f"{fleet}.checkov.json").read_text() or "[]")
    reports = report if isinstance(report, list) else [report]
    out = {}
    for r in reports:
        if r.get("check_type") not in (None, "terraform_plan"):
            continue
        for kind in ("passed_checks", "failed_checks"):
            for c in r.get("results", {}).get(kind, []):
                out[(c["check_id"], c["resource"])] = "PASSED" if kind == "passed_checks" else "FAILED"
    return out


def expect(results, fleet, check, address, outcome):
    got = results.get((check, address))
    if got != outcome:
        failures.append(f"{fleet}: expected {check} {outcome} on {address}, got {got or 'not evaluated'}")


def rego(fleet):
    """The Rego policy's deny messages on FLEET's plan, with the tiers its tenant files say."""
    tenants = {}
    for f in sorted((work / fleet / "tenants").glob("*.yaml")):
        doc = yaml.safe_load(f.read_text())
        tenants[doc["id"]] = {"tier": (doc.get("parameters") or {}).get("tier", "basic")}
    r = Interpreter()
    for policy in sorted((repo / "examples/policy/rego").glob("*.rego")):
        r.add_module(policy.stem, policy.read_text())
    r.add_data_json(json.dumps({"tenants": tenants}))
    r.set_input_term((work / f"{fleet}.json").read_text())
    out = r.query("data.landlord.deny")
    return sorted(out.results[0].expressions[0]) if out.results else []


def tenant(name):
    return f'module.tenant["{name}"]'


quick = checkov("quickstart")
tiers = checkov("tiers")
onboarding = checkov("onboarding")
for fleet, results in (("quickstart", quick), ("tiers", tiers), ("onboarding", onboarding)):
    for (check, address), outcome in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(f"{fleet}: {outcome} {check} {address}")

# Built-in checks on the hashicorp/aws shapes, on the right tenants' resources.
for t in ("acme", "globex", "hooli"):
    expect(quick, "quickstart", "CKV_AWS_378", f"{tenant(t)}.aws_lb_target_group.backend_tg", "FAILED")  # HTTP target group
    expect(quick, "quickstart", "CKV_AWS_261", f"{tenant(t)}.aws_lb_target_group.backend_tg", "PASSED")  # health_check block
    expect(quick, "quickstart", "CKV_AWS_336", f"{tenant(t)}.aws_ecs_task_definition.frontend_task", "FAILED")  # root fs writable
    expect(quick, "quickstart", "CKV_AWS_333", f"{tenant(t)}.aws_ecs_service.backend", "PASSED")  # no public IP
# The backend's container definitions hold the sensitive API key: left out, so not evaluated.
expect(quick, "quickstart", "CKV_AWS_336", f"{tenant('acme')}.aws_ecs_task_definition.backend_task", None)
# Only premium tenants have the silo target group.
expect(tiers, "tiers", "CKV_AWS_378", f"{tenant('acme')}.aws_lb_target_group.silo_tg", "FAILED")
if any(t in a for _, a in tiers for t in (tenant("globex") + ".aws_lb_target_group", tenant("initech") + ".aws_lb_target_group")):
    failures.append("tiers: a basic tenant has a silo target group in the plan")

# IAM checks read aws_iam_role's assume_role_policy (JSON text); the identity pool's flag.
for t in ("acme", "globex"):
    for check in ("CKV_AWS_60", "CKV_AWS_61", "CKV_AWS_274"):
        expect(onboarding, "onboarding", check, f"{tenant(t)}.aws_iam_role.isolation", "PASSED")
    expect(onboarding, "onboarding", "CKV_AWS_366", f"{tenant(t)}.aws_cognito_identity_pool.identity", "PASSED")

# The custom Checkov policy: at most 2 tasks per service.
for name in ("backend", "frontend"):
    expect(quick, "quickstart", "CKV2_LANDLORD_1", f"{tenant('hooli')}.aws_ecs_service.{name}", "FAILED")
    expect(quick, "quickstart", "CKV2_LANDLORD_1", f"{tenant('acme')}.aws_ecs_service.{name}", "PASSED")

# The Rego policy, tier-aware: hooli (basic, 3 tasks) is denied, nothing else.
denied = rego("quickstart")
print("quickstart: rego deny:", json.dumps(denied, indent=1))
want = [f"{tenant('hooli')}.aws_ecs_service.{n}: a basic-tier tenant's ECS service runs at most 2 tasks, not 3" for n in ("backend", "frontend")]
if denied != want:
    failures.append(f"quickstart: rego denied {denied}, expected {want}")
if rego("tiers"):
    failures.append(f"tiers: rego denied {rego('tiers')}, expected nothing")

for f in failures:
    print("review tools:", f, file=sys.stderr)
if failures:
    sys.exit(1)
print(f"review tools: Checkov and the Rego policy read the examples' plans as expected "
      f"({len(quick) + len(tiers) + len(onboarding)} Checkov results, {len(denied)} Rego denials)")
