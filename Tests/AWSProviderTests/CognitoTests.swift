import AWSClient
import AWSProvider
import AWSSchema
import Foundation
import LandlordTestSupport
import ProviderAPI
import Testing

extension MotoTests {
    @Suite struct CognitoTests {
        @Test func userPoolLifecycleAndImportByTag() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let t = Tenant()
            let inputs: [String: Value] = ["name": .string("\(t.id)-users")]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.userPool, "users", inputs))
            #expect(created.attributes["id"] == .string(created.id))
            #expect(created.attributes["arn"]?.stringValue?.hasPrefix("arn:aws:cognito-idp:us-east-1:") == true)
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["name"] == inputs["name"])

            var mfa = inputs
            mfa["mfa"] = "OPTIONAL"
            let updated = try await provider.applyOK(t.update(created, "users", mfa))
            #expect(updated.id == created.id)
            #expect(await provider.readOne(updated)?.attributes["mfa"] == "OPTIONAL")

            // A decoy pool with the same name but no tags is not adopted.
            _ = try await Fixtures(client: try Moto.client()).userPool("\(t.id)-users")
            let found = await provider.importResources(ImportRequest(type: AWSResourceTypes.userPool, identity: t.identity("users"), inputs: inputs))
            #expect(found.resources.map(\.id) == [created.id])

            _ = try await provider.applyOK(t.delete(updated, "users"))
            #expect(await provider.readOne(updated) == nil)
            _ = try await provider.applyOK(t.delete(updated, "users"))
            let again = try await provider.applyOK(t.create(AWSResourceTypes.userPool, "users", inputs))
            #expect(again.id != created.id)
        }

        @Test func userPoolClientSecretIsSensitive() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let t = Tenant()
            let pool = try await provider.applyOK(t.create(AWSResourceTypes.userPool, "users", ["name": .string("\(t.id)-users")]))
            let inputs: [String: Value] = [
                "userPoolId": .string(pool.id), "name": "web", "generateSecret": true, "callbackUrls": ["https://acme.example.com/callback"],
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.userPoolClient, "client", inputs))
            let secret = try #require(created.attributes["clientSecret"])
            guard case .sensitive(let inner) = secret else {
                Issue.record("clientSecret must be wrapped in Value.sensitive")
                return
            }
            #expect(inner.stringValue?.isEmpty == false)
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["clientSecret"]?.isSensitive == true)
            #expect(read.attributes["callbackUrls"] == ["https://acme.example.com/callback"])

            var renamed = inputs
            renamed["name"] = "web-v2"
            let updated = try await provider.applyOK(t.update(created, "client", renamed))
            #expect(updated.id == created.id)
            #expect(updated.attributes["clientSecret"] == secret, "the secret survives an in-place update")
            #expect(await provider.readOne(updated)?.attributes["name"] == "web-v2")

            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.userPoolClient, identity: t.identity("client"), inputs: renamed))
            #expect(found.resources.map(\.id) == [created.id])

            _ = try await provider.applyOK(t.delete(updated, "client"))
            #expect(await provider.readOne(updated) == nil)
            _ = try await provider.applyOK(t.delete(updated, "client"))

            // A failure about the client never carries its secret.
            let failed = await provider.apply(t.update(updated, "client", renamed))
            let d = try #require(failed.diagnostics.first)
            #expect(d.code == "ResourceNotFoundException")
            let plain = inner.stringValue ?? ""
            #expect(!d.summary.contains(plain) && !d.detail.contains(plain))
        }

        @Test func identityPoolLifecycleAndImportByTag() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let t = Tenant()
            let name = "t_\(t.id.replacingOccurrences(of: "-", with: "_"))_identities"
            let inputs: [String: Value] = [
                "name": .string(name), "allowUnauthenticated": false, "userPoolId": "us-east-1_abc", "clientId": "client123",
            ]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.identityPool, "identities", inputs))
            #expect(created.attributes["id"] == .string(created.id))
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["name"] == .string(name))
            #expect(read.attributes["userPoolId"] == "us-east-1_abc")
            #expect(read.attributes["clientId"] == "client123")

            var open = inputs
            open["allowUnauthenticated"] = true
            let updated = try await provider.applyOK(t.update(created, "identities", open))
            #expect(updated.id == created.id)
            #expect(await provider.readOne(updated)?.attributes["allowUnauthenticated"] == true)

            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.identityPool, identity: t.identity("identities"), inputs: inputs))
            #expect(found.resources.map(\.id) == [created.id])

            _ = try await provider.applyOK(t.delete(updated, "identities"))
            #expect(await provider.readOne(updated) == nil)
            _ = try await provider.applyOK(t.delete(updated, "identities"))
        }
    }

    @Suite struct DynamoDBItemTests {
        @Test func conditionalCreateUpdateDelete() async throws {
            try await Moto.reset()
            let provider = Moto.provider()
            let table = try await Fixtures(client: try Moto.client()).table(Moto.unique("tenants"))
            let t = Tenant()
            let key: Value = ["pk": .string("tenant#\(t.id)")]
            let inputs: [String: Value] = ["table": .string(table), "key": key, "item": ["status": "active", "tier": "basic", "seats": 5]]
            let created = try await provider.applyOK(t.create(AWSResourceTypes.dynamoItem, "record", inputs))
            #expect(created.id.hasPrefix("\(table)/"))
            let read = try #require(await provider.readOne(created))
            #expect(read.attributes["item"] == ["status": "active", "tier": "basic", "seats": 5])

            // Never silently overwritten.
            let twice = await provider.apply(t.create(AWSResourceTypes.dynamoItem, "record", inputs))
            #expect(twice.resource == nil)
            #expect(twice.diagnostics.first?.code == "ConditionalCheckFailedException")
            #expect(twice.diagnostics.first?.detail.contains("import") == true)

            var premium = inputs
            premium["item"] = ["status": "active", "tier": "premium", "seats": 50]
            let updated = try await provider.applyOK(t.update(created, "record", premium))
            #expect(await provider.readOne(updated)?.attributes["item"] == premium["item"])

            let found = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.dynamoItem, identity: t.identity("record"), inputs: inputs))
            #expect(found.resources.map(\.id) == [created.id])
            let byId = await provider.importResources(
                ImportRequest(type: AWSResourceTypes.dynamoItem, identity: t.identity("record"), id: created.id))
            #expect(byId.resources.first?.attributes["item"] == premium["item"])

            _ = try await provider.applyOK(t.delete(updated, "record"))
            #expect(await provider.readOne(updated) == nil)
            _ = try await provider.applyOK(t.delete(updated, "record"))
            // An update of a record deleted behind Landlord's back fails instead of recreating it.
            let ghost = await provider.apply(t.update(updated, "record", premium))
            #expect(ghost.diagnostics.first?.code == "ConditionalCheckFailedException")
        }
    }

    @Suite struct S3Tests {
        @Test func conditionalWritesAndETags() async throws {
            try await Moto.reset()
            let client = try Moto.client()
            let bucket = Moto.unique("state")
            try await client.s3CreateBucket(bucket)
            let key = "tenants/acme state.json"
            let etag = try #require(
                try await client.s3PutObject(bucket: bucket, key: key, body: Data("{\"serial\":1}".utf8), condition: .ifNoneMatch))
            let object = try #require(try await client.s3GetObject(bucket: bucket, key: key))
            #expect(String(decoding: object.body, as: UTF8.self) == "{\"serial\":1}")
            #expect(object.etag == etag)

            // A second create-only write is refused.
            await #expect(throws: AWSError.self) {
                try await client.s3PutObject(bucket: bucket, key: key, body: Data("{}".utf8), condition: .ifNoneMatch)
            }
            let next = try await client.s3PutObject(bucket: bucket, key: key, body: Data("{\"serial\":2}".utf8), condition: .ifMatch(etag))
            #expect(next != etag)
            do {
                try await client.s3PutObject(bucket: bucket, key: key, body: Data("{}".utf8), condition: .ifMatch(etag))
                Issue.record("a write against a stale ETag must fail")
            } catch let e as AWSError {
                #expect(e.status == 412)
            }

            let listed = try await client.s3ListObjectsV2(bucket: bucket, prefix: "tenants/")
            #expect(listed.map(\.key) == [key])
            try await client.s3DeleteObject(bucket: bucket, key: key)
            #expect(try await client.s3GetObject(bucket: bucket, key: key) == nil)
            try await client.s3DeleteObject(bucket: bucket, key: key)
        }
    }
}
