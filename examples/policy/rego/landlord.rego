# Landlord rules over Terraform's JSON plan format (`landlord plan --format terraform-json`), for
# conftest or OPA. Every tenant's resources share a module address, module.tenant["ID"]. A plan
# does not say a tenant's tier (a new tenant's record is known only after apply), so the tiers
# come as data: {"tenants": {"acme": {"tier": "premium"}, ...}}; a tenant not listed, or listed
# without a tier, is basic (the blueprints' default). scripts/checkov.sh writes that document
# from tenants/*.yaml.
#
#   conftest test --policy examples/policy/rego --namespace landlord --data tenants.json plan.json
#   opa eval --format pretty --data examples/policy/rego --data tenants.json --input plan.json 'data.landlord.deny'
#
# scripts/checkov.sh evaluates it with regopy (PyPI's binding of rego-cpp), as conftest would.
package landlord

import rego.v1

# The tenant id of a module address: module.tenant["acme"] -> acme.
tenant(module_address) := id if {
	startswith(module_address, "module.tenant[\"")
	id := trim_suffix(trim_prefix(module_address, "module.tenant[\""), "\"]")
}

tier(id) := t if {
	t := data.tenants[id].tier
} else := "basic"

# A basic-tier tenant's ECS service runs at most 2 tasks.
deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_ecs_service"
	rc.change.actions != ["delete"]
	id := tenant(rc.module_address)
	tier(id) == "basic"
	rc.change.after.desired_count > 2
	msg := sprintf("%s: a basic-tier tenant's ECS service runs at most 2 tasks, not %v", [rc.address, rc.change.after.desired_count])
}

# A plan never deletes a tenant's user pool: its users would be lost.
deny contains msg if {
	some rc in input.resource_changes
	rc.type == "aws_cognito_user_pool"
	"delete" in rc.change.actions
	msg := sprintf("%s: the plan deletes a user pool (%v); its users are lost", [rc.address, rc.change.actions])
}
