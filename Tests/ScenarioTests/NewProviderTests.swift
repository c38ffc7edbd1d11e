import Foundation
import LandlordCore
import LandlordLocalState
import ProviderAPI
import Synchronization
import Testing

/// A provider the engine has never heard of, registered in-process: `acme.seat` takes a
/// `room: auto` placement on the platform's `inputs.rooms` (each room holds `maxSeats` seats)
/// and a `slot: auto` number unique per room, all declared in its own schema. Planning and
/// applying it through the engine needs no engine change.
@Suite struct NewProviderTests {
    /// Seats kept in memory, by id.
    final class AcmeProvider: Provider {
        let name = "acme"
        let seats = Mutex<[String: ResourceObject]>([:])
        let counter = Atomic<Int>(0)
        /// The client token of every create, by address.
        let tokens = Mutex<[String: [String]]>([:])
        /// Fails the create of this address once (then clears itself).
        let failOnce = Mutex<String?>(nil)

        static let rooms = PoolDeclaration(name: "rooms", member: "room", whenFull: "raise maxSeats.")

        var schema: ProviderSchema {
            ProviderSchema(resources: [
                ResourceSchema(
                    type: "acme.seat",
                    attributes: [
                        "room": .init(.string, required: true, forceNew: true, description: "a room id, or `auto`"),
                        "slot": .init(.int, required: true, description: "1 to 20, unique per room, or `auto`"),
                        "label": .init(.string),
                        "roomTitle": AttributeSchema(.string, computed: true, optional: true),
                        "id": AttributeSchema(.string, computed: true),
                    ],
                    allocation: [
                        AllocatedAttribute("room", .placement(pool: Self.rooms, fills: ["roomTitle": "title"])),
                        AllocatedAttribute("slot", .numberFromPool(range: 1...20, scopedBy: "room")),
                    ],
                    consumes: [PoolUsage(pool: "rooms", capacity: "seats", unit: "seat")]),
                ResourceSchema(
                    type: "acme.locker",
                    attributes: ["bank": .init(.string, required: true, forceNew: true), "id": AttributeSchema(.string, computed: true)],
                    allocation: [AllocatedAttribute("bank", .placement(pool: PoolDeclaration(name: "banks", member: "bank")))]),
            ])
        }

        func read(_ request: ReadRequest) async -> ReadResponse {
            ReadResponse(resources: seats.withLock { s in request.resources.map { s[$0.id] } })
        }

        func apply(_ request: ApplyRequest) async -> ApplyResponse {
            switch request.operation {
            case .create, .update:
                if request.operation == .create {
                    tokens.withLock { $0[request.identity.address, default: []].append(request.clientToken) }
                    let fail = failOnce.withLock { f -> Bool in
                        guard f == request.identity.address else { return false }
                        f = nil
                        return true
                    }
                    if fail { return ApplyResponse(resource: nil, diagnostics: [.error("seat service unavailable", detail: "try again")]) }
                }
                let id = request.prior?.id ?? "seat-\(counter.add(1, ordering: .relaxed).newValue)"
                var attributes = request.inputs
                attributes["id"] = .string(id)
                let seat = ResourceObject(type: request.type, id: id, attributes: attributes)
                seats.withLock { $0[id] = seat }
                return ApplyResponse(resource: seat)
            case .delete:
                _ = seats.withLock { $0.removeValue(forKey: request.prior?.id ?? "") }
                return ApplyResponse(resource: nil)
            }
        }

        func importResources(_ request: ImportRequest) async -> ImportResponse { ImportResponse(resources: []) }
    }

    let dir: URL
    let provider = AcmeProvider()

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("landlord-acme-\(UUID().uuidString)")
        let files = [
            "platform.yaml": """
            apiVersion: landlord/v1
            kind: Platform
            name: office
            state: {backend: local}
            inputs:
              rooms:
                - {id: room-a, title: Room A, maxSeats: 4}
                - {id: room-b, title: Room B, maxSeats: 4}
            """,
            "blueprints/desk.yaml": """
            apiVersion: landlord/v1
            kind: Blueprint
            name: desk
            resources:
              left:
                type: acme.seat
                properties: {room: auto, slot: auto, label: "${tenant.id} left"}
              right:
                type: acme.seat
                properties: {room: auto, slot: {auto: true, band: [10, 20]}, label: "${tenant.id} right"}
            """,
        ]
        for (path, text) in files { try write(path, text) }
        for t in ["alpha", "bravo", "charlie"] { try addTenant(t) }
    }

    func write(_ relative: String, _ text: String) throws {
        let url = dir.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func addTenant(_ id: String) throws {
        try write("tenants/\(id).yaml", "apiVersion: landlord/v1\nkind: Tenant\nid: \(id)\nblueprint: desk\n")
    }

    func workspace() throws -> Workspace {
        let registry = ProviderRegistry([provider])
        let (fleet, diags) = SpecLoader(schemas: registry.schemas).load(directory: dir)
        guard let fleet else { throw SeatError("spec errors: \(diags.errors.map(\.description))") }
        return Workspace(fleet: fleet, store: LocalStateStore(directory: dir.appendingPathComponent(".landlord").path), providers: registry)
    }

    struct SeatError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    @discardableResult
    func apply(_ options: PlanOptions = PlanOptions()) async throws -> ApplyResult {
        let ws = try workspace()
        let planAndDiags = await ws.plan(options)
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        guard let plan else { throw SeatError("plan failed: \(diags.errors.map(\.description))") }
        return await ws.apply(plan, options: ApplyOptions(holder: LockHolder(operation: "test"), platform: ws.fleet.platform.name))
    }

    /// (room, slot) of every seat in state, by address.
    func seats() async throws -> [String: (room: String, slot: Int, title: String?)] {
        let states = try await workspace().loadStates().tenants
        var out: [String: (room: String, slot: Int, title: String?)] = [:]
        for (tenant, s) in states {
            for (name, r) in s.resources {
                out[tenant + "/" + name] = (r.inputs["room"]?.stringValue ?? "", r.inputs["slot"]?.intValue ?? 0, r.inputs["roomTitle"]?.stringValue)
            }
        }
        return out
    }

    @Test func aTenantIsPlacedOnOnePoolOnly() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(
            "blueprints/desk.yaml",
            """
            apiVersion: landlord/v1
            kind: Blueprint
            name: desk
            resources:
              seat: {type: acme.seat, properties: {room: auto, slot: auto}}
              locker: {type: acme.locker, properties: {bank: auto}}
            """)
        let planAndDiags = try await workspace().plan(PlanOptions())
        let plan = planAndDiags.plan
        let diags = planAndDiags.diagnostics
        #expect(plan == nil)
        #expect(diags.errors.contains { $0.summary.contains("more than one pool (banks, rooms)") })
    }

    @Test func seatsArePlacedAndNumberedUniquelyStablyAndReleased() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try await apply()
        #expect(!first.failed, "\(first.diagnostics.errors.map(\.description))")
        let placed = try await seats()
        #expect(placed.count == 6)
        // Two seats a tenant: rooms of 4 seats take two tenants each, the first room first.
        #expect(placed["alpha/left"]?.room == "room-a" && placed["bravo/left"]?.room == "room-a")
        #expect(placed["charlie/left"]?.room == "room-b" && placed["charlie/right"]?.room == "room-b")
        #expect(placed["alpha/left"]?.title == "Room A", "the placed member's fields fill the schema's `fills`")
        // Slots are unique per room, and a banded slot stays in its band.
        for room in ["room-a", "room-b"] {
            let slots = placed.values.filter { $0.room == room }.map(\.slot)
            #expect(Set(slots).count == slots.count, "slots unique in \(room): \(slots)")
        }
        #expect(placed.filter { $0.key.hasSuffix("/right") }.allSatisfy { (10...20).contains($0.value.slot) })
        #expect(placed.filter { $0.key.hasSuffix("/left") }.allSatisfy { (1...20).contains($0.value.slot) })

        // A second plan changes nothing: the allocation is stable.
        let againAndDiags = try await workspace().plan(PlanOptions())
        let again = againAndDiags.plan
        let diags = againAndDiags.diagnostics
        #expect(!diags.hasErrors)
        #expect(again?.tenants.allSatisfy { $0.changes.isEmpty } == true)

        // A full pool is reported with the provider's own words.
        for t in ["delta", "echo"] { try addTenant(t) }
        let full = try await workspace().plan(PlanOptions()).diagnostics
        let error = try #require(full.errors.first { $0.summary.contains("room pool is full") })
        #expect(error.detail.contains("each needs 2 seat(s) on one room"))
        #expect(error.detail.contains("raise maxSeats"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/delta.yaml"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("tenants/echo.yaml"))

        // Destroying a tenant releases its seats and its slots: the next tenant takes them.
        let alpha = placed["alpha/left"]!
        let destroyed = try await apply(PlanOptions(destroy: ["alpha"]))
        #expect(!destroyed.failed, "\(destroyed.diagnostics.errors.map(\.description))")
        let platform = try await workspace().loadStates().platform
        #expect(platform.allocations["alpha"] == nil)
        #expect(platform.allocations["bravo"]?.usage == ["seats": 2])
        #expect(provider.seats.withLock { $0.count } == 4)
        try addTenant("delta")
        let last = try await apply(PlanOptions(tenants: ["delta"]))
        #expect(!last.failed, "\(last.diagnostics.errors.map(\.description))")
        let now = try await seats()
        #expect(now["delta/left"]?.room == "room-a" && now["delta/left"]?.slot == alpha.slot)
    }

    @Test func aCreateSentAgainKeepsItsIntentsClientToken() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        provider.failOnce.withLock { $0 = "alpha/left" }
        let first = try await apply()
        #expect(first.failed, "the seat service refused alpha/left once")
        let second = try await apply()
        #expect(!second.failed, "\(second.diagnostics.errors.map(\.description))")
        let sent = provider.tokens.withLock { $0["alpha/left"] ?? [] }
        #expect(sent.count == 2)
        #expect(Set(sent).count == 1, "the retried create reuses the recorded intent's token: \(sent)")
        #expect(provider.tokens.withLock { $0["alpha/right"]?.count } == 1)
    }
}
