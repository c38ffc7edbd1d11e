import AWSSchema
import Foundation
import ProviderAPI
import StripeSchema

/// Create, update and delete against the simulated cloud, with AWS's checks and AWS-shaped ids.
extension MockProvider {
    typealias T = AWSResourceTypes

    func err(_ code: String, _ summary: String, _ detail: String, attribute: String? = nil) -> ApplyResponse {
        ApplyResponse(resource: nil, diagnostics: [.error(summary, detail: detail, attribute: attribute, code: code)])
    }

    func object(_ r: MockResource) -> ResourceObject { ResourceObject(type: r.type, id: r.id, attributes: r.attributes) }

    /// Checks constraints shared by create and update; nil when the resource may be stored.
    func check(_ r: MockResource, _ tx: inout MockCloud.Transaction) -> ApplyResponse? {
        for key in MockRules.uniqueKeys(r) {
            if let holder = tx.holder(of: key), holder.key != r.key {
                switch r.type {
                case T.targetGroup:
                    return err(
                        "DuplicateTargetGroupName", "a target group named '\(MockRules.str(r, "name"))' already exists",
                        "target group names are unique per account and region; choose another name", attribute: "name")
                case T.listenerRule:
                    return err(
                        "PriorityInUse", "priority \(MockRules.str(r, "priority")) is in use on listener \(MockRules.str(r, "listener"))",
                        "use `priority: auto` to let Landlord allocate free priorities", attribute: "priority")
                case T.route53Record:
                    return err(
                        "InvalidChangeBatch",
                        "record \(MockRules.str(r, "name")) \(MockRules.str(r, "type")) already exists in zone \(MockRules.str(r, "zoneId"))",
                        "remove the existing record or import it", attribute: "name")
                case T.ecsService:
                    return err(
                        "InvalidParameterException", "service \(MockRules.str(r, "name")) already exists in cluster \(MockRules.str(r, "cluster"))",
                        "choose another service name", attribute: "name")
                case T.userGroup:
                    return err(
                        "GroupExistsException", "group \(MockRules.str(r, "name")) already exists in pool \(MockRules.str(r, "userPoolId"))",
                        "import it (`landlord import`) or choose another group name", attribute: "name")
                case T.user:
                    return err(
                        "UsernameExistsException", "user \(MockRules.str(r, "username")) already exists in pool \(MockRules.str(r, "userPoolId"))",
                        "import it (`landlord import`) or choose another username", attribute: "username")
                case T.iamRole:
                    return err(
                        "EntityAlreadyExists", "a role named '\(MockRules.str(r, "name"))' already exists",
                        "role names are unique per account; import it or choose another name", attribute: "name")
                case T.contactList:
                    return err(
                        "AlreadyExistsException", "contact list \(MockRules.str(r, "name")) already exists",
                        "import it or use it as a platform input",
                        attribute: "name")
                case T.contact:
                    return err(
                        "AlreadyExistsException", "\(MockRules.str(r, "email")) is already in list \(MockRules.str(r, "contactListName"))",
                        "import it (`landlord import`) or use another address", attribute: "email")
                default:
                    return err(
                        "ConditionalCheckFailedException", "the item already exists",
                        "a tenant record is never overwritten silently; import it or delete it first")
                }
            }
        }
        switch r.type {
        case T.targetGroup:
            let name = MockRules.str(r, "name")
            if name.isEmpty || name.count > 32 || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) || name.hasPrefix("-")
                || name.hasSuffix("-")
            {
                return err(
                    "ValidationError", "invalid target group name '\(name)'",
                    "at most 32 alphanumeric characters or hyphens, not starting or ending with a hyphen", attribute: "name")
            }
        case T.listenerRule:
            guard let p = r.attributes["priority"]?.intValue, (1...50_000).contains(p) else {
                return err("ValidationError", "rule priority must be 1 to 50000", "use `priority: auto`", attribute: "priority")
            }
            let tg = MockRules.str(r, "targetGroupArn")
            if tx.get(type: T.targetGroup, id: tg) == nil {
                return err(
                    "TargetGroupNotFound", "target group \(tg) does not exist", "create the target group first (reference it as ${tg.arn})",
                    attribute: "targetGroupArn")
            }
        case T.userPoolClient, T.userGroup, T.user:
            let pool = MockRules.str(r, "userPoolId")
            if tx.get(type: T.userPool, id: pool) == nil {
                return err("ResourceNotFoundException", "user pool \(pool) does not exist", "create the user pool first", attribute: "userPoolId")
            }
            if r.type == T.user {
                for g in r.attributes["groups"]?.revealed.listValue ?? [] where tx.get(type: T.userGroup, id: "\(pool)/\(g.interpolationText)") == nil
                {
                    return err(
                        "ResourceNotFoundException", "the pool has no group '\(g.interpolationText)'",
                        "create it first (an aws.cognito_user_group the user depends on) or fix the name in 'groups'", attribute: "groups")
                }
            }
        case T.iamRole:
            if let d = r.attributes["maxSessionDuration"]?.intValue, !(3600...43200).contains(d) {
                return err(
                    "ValidationError", "maxSessionDuration must be 3600 to 43200 seconds", "fix it in the blueprint", attribute: "maxSessionDuration")
            }
            if r.attributes["assumeRolePolicy"]?.revealed.mapValue?.isEmpty ?? true {
                return err(
                    "MalformedPolicyDocument", "assumeRolePolicy must be a policy document", "give a map with Version and Statement",
                    attribute: "assumeRolePolicy")
            }
        case T.contact:
            let list = MockRules.str(r, "contactListName")
            if tx.get(type: T.contactList, id: list) == nil {
                // The platform's list, set up outside Landlord like its listeners and zones: a dry
                // run of any blueprint naming it goes through, and from then on the simulated
                // account holds it, so it counts toward SES's one-list quota as the real one does.
                tx.put(MockResource(type: T.contactList, id: list, attributes: ["name": .string(list)], tags: [:]))
            }
        case T.dynamoItem:
            // DynamoDB keeps one value per attribute name: an item may repeat a key attribute
            // (as GetItem returns it) only with the key's value, as the AWS provider requires.
            let key = r.attributes["key"]?.revealed.mapValue ?? [:]
            let item = r.attributes["item"]?.revealed.mapValue ?? [:]
            if let name = key.keys.sorted().first(where: { k in item[k].map { $0.revealed != key[k]!.revealed } ?? false }) {
                return err(
                    "InvalidInput", "'item' repeats the key attribute '\(name)' with another value than 'key' gives it",
                    "remove '\(name)' from 'item' or give it the key's value", attribute: "item")
            }
        case StripeResourceTypes.customer:
            return stripeProblem(r)
        default: break
        }
        if let problem = quotaExceeded(r, &tx) { return problem }
        return nil
    }

    /// The account-wide quotas the type's schema declares (SES: one contact list), enforced
    /// as AWS enforces them whoever creates the resource.
    func quotaExceeded(_ r: MockResource, _ tx: inout MockCloud.Transaction) -> ApplyResponse? {
        guard let quotas = schema.resources[r.type]?.quotas, !quotas.isEmpty else { return nil }
        let others = tx.all(ofType: r.type).filter { $0.key != r.key }.count
        for q in quotas where others >= q.limit {
            return err("LimitExceededException", "the account already holds \(others) of at most \(q.limit) \(q.name)", q.remedy)
        }
        return nil
    }

    func create(_ req: ApplyRequest, _ tx: inout MockCloud.Transaction) -> ApplyResponse {
        var attrs = req.inputs
        let id: String
        let region = settings.region
        let acct = settings.account
        switch req.type {
        case T.targetGroup:
            let name = MockRules.str(MockResource(type: "", id: "", attributes: attrs, tags: [:]), "name")
            let arn = "arn:aws:elasticloadbalancing:\(region):\(acct):targetgroup/\(name)/\(randomHex(16))"
            id = arn
            attrs["arn"] = .string(arn)
        case T.listenerRule:
            let listener = attrs["listener"]?.interpolationText ?? ""
            let base = listener.replacingOccurrences(of: ":listener/", with: ":listener-rule/")
            id = (base.isEmpty ? "arn:aws:elasticloadbalancing:\(region):\(acct):listener-rule/app/mock/0/0" : base) + "/\(randomHex(16))"
            attrs["arn"] = .string(id)
        case T.route53Record:
            id = naturalID(req.type, attrs) ?? randomHex(8)
            attrs["fqdn"] = .string(attrs["name"]?.interpolationText ?? "")
        case T.taskDefinition:
            let family = attrs["family"]?.interpolationText ?? "family"
            let rev = tx.next("taskdef:" + family)
            id = "arn:aws:ecs:\(region):\(acct):task-definition/\(family):\(rev)"
            attrs["arn"] = .string(id)
            attrs["revision"] = .int(rev)
        case T.ecsService:
            let name = attrs["name"]?.interpolationText ?? req.identity.address.replacingOccurrences(of: "/", with: "-")
            attrs["name"] = .string(name)
            let cluster = attrs["cluster"]?.interpolationText ?? "default"
            id = "arn:aws:ecs:\(region):\(acct):service/\(cluster)/\(name)"
            attrs["arn"] = .string(id)
        case T.userPool:
            id = "\(region)_\(randomAlnum(9, upper: true))"
            attrs["id"] = .string(id)
            attrs["arn"] = .string("arn:aws:cognito-idp:\(region):\(acct):userpool/\(id)")
        case T.userPoolClient:
            id = randomAlnum(26)
            attrs["id"] = .string(id)
            // As Cognito (and the AWS provider, which records null): a client made without a
            // secret has none, and the computed attribute is known to be empty.
            attrs["clientSecret"] = attrs["generateSecret"]?.boolValue == true ? .sensitive(.string(randomAlnum(51))) : .null
        case T.identityPool:
            let h = randomHex(32)
            let u = [h.prefix(8), h.dropFirst(8).prefix(4), h.dropFirst(12).prefix(4), h.dropFirst(16).prefix(4), h.dropFirst(20)].joined(
                separator: "-")
            id = "\(region):\(u)"
            attrs["id"] = .string(id)
        case T.dynamoItem:
            id = naturalID(req.type, attrs) ?? randomHex(8)
        case T.userGroup:
            id = "\(attrs["userPoolId"]?.interpolationText ?? "")/\(attrs["name"]?.interpolationText ?? "")"
        case T.user:
            id = "\(attrs["userPoolId"]?.interpolationText ?? "")/\(attrs["username"]?.interpolationText ?? "")"
            let h = randomHex(32)
            attrs["sub"] = .string(
                [h.prefix(8), h.dropFirst(8).prefix(4), h.dropFirst(12).prefix(4), h.dropFirst(16).prefix(4), h.dropFirst(20)].joined(separator: "-"))
            attrs["status"] = "FORCE_CHANGE_PASSWORD"
        case T.iamRole:
            id = attrs["name"]?.interpolationText ?? ""
            attrs["arn"] = .string("arn:aws:iam::\(acct):role/\(id)")
        case T.contactList:
            id = attrs["name"]?.interpolationText ?? ""
        case T.contact:
            id = "\(attrs["contactListName"]?.interpolationText ?? "")/\(attrs["email"]?.interpolationText ?? "")"
            attrs["lastUpdated"] = Self.contactStamp()
        case StripeResourceTypes.customer:
            id = stripeCustomerID()
            attrs["id"] = .string(id)
        default:
            return err(
                "UnknownType", "the mock provider does not serve \(req.type)", "use one of: \(schema.resources.keys.sorted().joined(separator: ", "))"
            )
        }
        // Generated ids never repeat (a fixed seed in a new process would replay them): a clash
        // with an existing resource of the type means another draw.
        if tx.get(type: req.type, id: id) != nil && !MockRules.idIsNatural(req.type) {
            return create(req, &tx)
        }
        let r = MockResource(type: req.type, id: id, attributes: attrs, tags: settings.untagged ? [:] : req.identity.tags)
        if let problem = check(r, &tx) { return problem }
        tx.put(r)
        return ApplyResponse(resource: object(r))
    }

    func update(_ req: ApplyRequest, _ tx: inout MockCloud.Transaction) -> ApplyResponse {
        guard let prior = req.prior, var r = tx.get(type: req.type, id: prior.id) else {
            return err(
                "NotFound", "\(req.type) \(req.prior?.id ?? "?") no longer exists", "it was deleted outside Landlord; plan again to re-create it")
        }
        let settable = schema.resources[req.type]?.attributes.filter { $0.value.settable }.map(\.key) ?? []
        for k in settable {
            if let v = req.inputs[k] {
                r.attributes[k] = v
            } else if schema.resources[req.type]?.attributes[k]?.computed != true {
                r.attributes[k] = nil
            }
        }
        // SES moves a contact's LastUpdatedTimestamp on every write; the AWS provider records it.
        if r.type == T.contact { r.attributes["lastUpdated"] = Self.contactStamp() }
        if let problem = check(r, &tx) { return problem }
        tx.put(r)
        return ApplyResponse(resource: object(r))
    }

    /// A contact's `lastUpdated` as the AWS provider records SES's LastUpdatedTimestamp: epoch
    /// seconds, as text.
    static func contactStamp() -> Value { .string(String(format: "%.3f", Date().timeIntervalSince1970)) }

    func delete(_ req: ApplyRequest, _ tx: inout MockCloud.Transaction) -> ApplyResponse {
        guard let prior = req.prior, let r = tx.get(type: req.type, id: prior.id) else {
            return ApplyResponse(resource: nil)  // already gone
        }
        let users = tx.referrers(of: r.id).filter { !MockRules.deletedWithParent($0.type) }
        if let user = users.first {
            let what = r.type == T.targetGroup ? "target group" : r.type
            return err(
                "ResourceInUse", "\(what) \(r.id) is in use by \(user.type) \(user.id)",
                "delete or repoint \(user.tags["landlord:address"] ?? user.id) first")
        }
        // Deleting a user pool deletes its clients, groups and users, as Cognito does; a
        // contact list its contacts, as SES does.
        if r.type == T.userPool || r.type == T.contactList { for c in tx.referrers(of: r.id) { tx.delete(type: c.type, id: c.id) } }
        tx.delete(type: r.type, id: r.id)
        return ApplyResponse(resource: nil)
    }
}
