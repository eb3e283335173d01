import Hummingbird
import MatrixModel
import Testing

/// Dehydrated devices (MSC3814) over HTTP: the device and its data, its keys, its to-device
/// messages paged and never deleted by reading, and its absence from the device list.
@Suite struct DehydratedDeviceTests {
    typealias Client = MatrixClient
    static let path = MatrixClient.dehydratedPath

    /// Runs `body` on a server with MSC3814 on, where Alice has a dehydrated device holding
    /// `messages` to-device messages from Bob.
    static func scene(
        messages: Int = 0, _ body: @Sendable (Client, TestUser, TestUser, DehydratedDevice) async throws -> Void
    ) async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let device = DehydratedDevice(alice)
            try await client.dehydrate(alice, device)
            if messages > 0 { try await client.sendToDevice(from: bob, to: alice, device.deviceID, count: messages) }
            try await body(client, alice, bob, device)
        }
    }

    @Test("Without experimental_features.msc3814_enabled every endpoint is unknown and none is announced")
    func offUnlessEnabled() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let device = DehydratedDevice(alice)
            for (method, path) in [
                (HTTPRequest.Method.put, Self.path), (.get, Self.path), (.delete, Self.path),
                (.get, device.eventsPath), (.post, device.eventsPath),
            ] {
                let body: JSONValue? = method == .put ? .object(device.body()) : nil
                let reply = try await client.request(method, path, token: alice.token, body: body)
                #expect(reply.status == 404, "\(method) \(path)")
                #expect(reply.errcode == "M_UNRECOGNIZED", "\(method) \(path)")
            }
            let versions = try await client.request(.get, "/_matrix/client/versions")
            #expect(versions["unstable_features"]?["org.matrix.msc3814"] == nil)
        }
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let versions = try await client.request(.get, "/_matrix/client/versions")
            #expect(versions["unstable_features"]?["org.matrix.msc3814"] == true)
        }
    }

    @Test("PUT answers the device ID, GET gives it back with the data as sent, DELETE removes it; 404 without one")
    func putGetDelete() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let none = try await client.getDehydrated(alice)
            #expect(none.status == 404)
            #expect(none.errcode == "M_NOT_FOUND")
            let noDelete = try await client.request(.delete, Self.path, token: alice.token)
            #expect(noDelete.status == 404)
            #expect(noDelete.errcode == "M_NOT_FOUND")

            let device = DehydratedDevice(alice)
            let put = try await client.putDehydrated(alice, device.body())
            #expect(put.status == 200)
            #expect(put.body == ["device_id": .string(device.deviceID)])
            let get = try await client.getDehydrated(alice)
            #expect(get.status == 200)
            #expect(get.body == ["device_id": .string(device.deviceID), "device_data": DehydratedDevice.data])

            let delete = try await client.request(.delete, Self.path, token: alice.token)
            #expect(delete.status == 200)
            #expect(delete.body == ["device_id": .string(device.deviceID)])
            #expect(try await client.getDehydrated(alice).status == 404)
            // Another user never sees it.
            let bob = try await client.register("bob")
            try await client.dehydrate(alice, device)
            #expect(try await client.getDehydrated(bob).status == 404)
        }
    }

    @Test("A PUT missing a field or with keys that do not check out is refused and stores nothing")
    func refusedBodies() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let device = DehydratedDevice(alice)
            let good = device.body()
            var cases: [(String, JSONObject, String)] = []
            for field in ["device_id", "device_data", "device_keys"] {
                var body = good
                body[field] = nil
                cases.append(("no \(field)", body, "M_MISSING_PARAM"))
            }
            var body = good
            body["device_data"] = ["device_pickle": "P"]
            cases.append(("no algorithm", body, "M_MISSING_PARAM"))
            body["device_data"] = ["algorithm": 1]
            cases.append(("algorithm not a string", body, "M_BAD_JSON"))
            body = good
            body["device_data"] = "pickle"
            cases.append(("device_data not an object", body, "M_BAD_JSON"))
            body = good
            body["device_id"] = "OTHER"
            cases.append(("device keys of another device", body, "M_INVALID_PARAM"))
            body = good
            var tampered = device.deviceKeys().objectValue ?? [:]
            tampered["dehydrated"] = false
            body["device_keys"] = .object(tampered)
            cases.append(("device keys changed after signing", body, "M_INVALID_PARAM"))
            body = good
            body["one_time_keys"] = DeviceKeyFactory(alice).oneTimeKeys(count: 1)
            cases.append(("one-time key signed by another device", body, "M_INVALID_PARAM"))

            for (name, body, errcode) in cases {
                let reply = try await client.putDehydrated(alice, body)
                #expect(reply.status == 400, "\(name): \(reply.body)")
                #expect(reply.errcode == errcode, "\(name): \(reply.body)")
            }
            #expect(try await client.getDehydrated(alice).status == 404)
            let query = try await SigningSession(client, alice).query([alice.userID])
            #expect(query["device_keys"]?[alice.userID]?[device.deviceID] == nil)
            // The display name, one-time keys and fallback keys are optional, as the MSC says
            // (Synapse now wants initial_device_display_name present, if only as null).
            var minimal = good
            for field in ["initial_device_display_name", "one_time_keys", "fallback_keys"] { minimal[field] = nil }
            let put = try await client.putDehydrated(alice, minimal)
            #expect(put.status == 200, "\(put.body)")
            #expect(try await client.getDehydrated(alice)["device_id"]?.stringValue == device.deviceID)
        }
    }

    @Test("Its keys are queried like any device's and its one-time keys, then its fallback key, are claimed")
    func keysAreServed() async throws {
        try await Self.scene { client, alice, bob, device in

            let query = try await SigningSession(client, bob).query([alice.userID])
            var expected = device.deviceKeys()
            expected["unsigned"] = ["device_display_name": "Dehydrated"]
            #expect(query["device_keys"]?[alice.userID]?[device.deviceID] == expected)

            var claimed: [String] = []
            for _ in 0..<3 {
                let reply = try await client.client(
                    .post, "/keys/claim", token: bob.token,
                    body: ["one_time_keys": [alice.userID: [device.deviceID: "signed_curve25519"]]])
                #expect(reply.status == 200)
                claimed += reply["one_time_keys"]?[alice.userID]?[device.deviceID]?.objectValue?.keys.sorted() ?? []
            }
            #expect(claimed.count == 3)
            #expect(claimed.prefix(2).allSatisfy { $0.hasPrefix("signed_curve25519:AAAA") })
            #expect(claimed.last == "signed_curve25519:FALLBACK")
        }
    }

    @Test("It is cross-signed as the MSC asks: by a signature sent with the PUT, or uploaded afterwards")
    func crossSigned() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await SignatureUploadTests.CrossSignedUser.make(client, "alice")
            let bob = SigningSession(client, try await client.register("bob"))
            let sskID = alice.selfSigning.keyID

            let first = DehydratedDevice(alice.session.user)
            var body = first.body()
            body["device_keys"] = alice.selfSigning.sign(first.deviceKeys())
            #expect(try await client.putDehydrated(alice.session.user, body).status == 200)
            var query = try await bob.query([alice.userID])
            let sentWithPut = try #require(signature(of: body["device_keys"], by: alice.userID, key: sskID))
            let shown = query["device_keys"]?[alice.userID]?[first.deviceID]
            #expect(signature(of: shown, by: alice.userID, key: sskID) == sentWithPut)

            let second = DehydratedDevice(alice.session.user)
            try await client.dehydrate(alice.session.user, second)
            let signed = alice.selfSigning.sign(second.deviceKeys())
            let reply = try await alice.session.uploadSignatures([alice.userID: .object([second.deviceID: signed])])
            #expect(SignatureUploadTests.noFailures(reply), "\(reply.body)")
            query = try await bob.query([alice.userID])
            let uploaded = query["device_keys"]?[alice.userID]?[second.deviceID]
            #expect(
                signature(of: uploaded, by: alice.userID, key: sskID)
                    == signature(of: signed, by: alice.userID, key: sskID))
            #expect(signature(of: uploaded, by: alice.userID, key: sskID) != nil)
        }
    }

    @Test("It is not one of the user's devices: not listed, shown or renamed; the admin list marks it")
    func notListedAsADevice() async throws {
        try await Self.scene { client, alice, _, device in
            let devicePath = "/devices/" + device.deviceID.addingPercentEncodingForQuery()

            let list = try await client.client(.get, "/devices", token: alice.token)
            #expect(list["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } == [alice.deviceID])
            #expect(try await client.client(.get, devicePath, token: alice.token).status == 404)
            let rename = try await client.client(.put, devicePath, token: alice.token, body: ["display_name": "x"])
            #expect(rename.status == 404)

            let admin = try await AdminAPITests.registerAdmin(client, "root")
            let adminList = try await client.request(
                .get, "/_synapse/admin/v2/users/\(alice.userID)/devices", token: admin)
            var marks: [String: Bool] = [:]
            for entry in adminList["devices"]?.arrayValue ?? [] {
                marks[entry["device_id"]?.stringValue ?? ""] = entry["dehydrated"]?.boolValue
            }
            #expect(marks == [alice.deviceID: false, device.deviceID: true])
        }
    }

    @Test("Users sharing a room hear of it in device_lists.changed when it comes and goes, a waiting sync at once")
    func deviceListUpdates() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice)
            try await client.invite(alice, room, bob)
            try await client.join(bob, room)

            let before = try await client.position(bob)
            let (afterPut, elapsed, put) = try await client.withExtraConnection { connection in
                async let put = {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await client.putDehydrated(alice, DehydratedDevice(alice).body())
                }()
                let start = ContinuousClock.now
                let reply = try await connection.send(.get, "/sync?timeout=30000&since=\(before)", token: bob.token)
                return (reply, ContinuousClock.now - start, try await put)
            }
            #expect(put.status == 200)
            // Well before the 30 s timeout, with a margin for a machine running the whole suite.
            #expect(elapsed < .seconds(20), "woken, not timed out: \(elapsed)")
            #expect(afterPut.changed.contains(alice.userID))

            #expect(try await client.request(.delete, Self.path, token: alice.token).status == 200)
            let afterDelete = try await client.sync(bob, since: afterPut.nextBatch)
            #expect(afterDelete.changed.contains(alice.userID))
        }
    }

    @Test("GET …/events pages by 100 with next_batch until the last page, and reading deletes nothing")
    func eventsArePagedAndKept() async throws {
        try await Self.scene(messages: 110) { client, alice, bob, device in

            let first = try await client.dehydratedEvents(alice, device.deviceID)
            #expect(first.status == 200)
            #expect(first.numbers == Array(0..<100))
            #expect(
                first["events"]?.arrayValue?.first
                    == ["sender": .string(bob.userID), "type": "m.room.encrypted", "content": ["n": 0]])
            let next = try #require(first["next_batch"]?.stringValue)
            let again = try await client.dehydratedEvents(alice, device.deviceID)
            #expect(again.body == first.body)

            let last = try await client.dehydratedEvents(alice, device.deviceID, from: next)
            #expect(last.numbers == Array(100..<110))
            #expect(last["next_batch"] == nil)

            // The user's own device neither receives them nor, by syncing, deletes them.
            let sync = try await client.sync(alice)
            #expect(sync.toDeviceEvents.isEmpty)
            _ = try await client.sync(alice, since: sync.nextBatch)
            #expect(try await client.dehydratedEvents(alice, device.deviceID).numbers == Array(0..<100))
            #expect(try await client.dehydratedEvents(alice, device.deviceID, from: next).numbers == Array(100..<110))

            let small = try await client.dehydratedEvents(alice, device.deviceID, query: "limit=30")
            #expect(small.numbers == Array(0..<30))
            let capped = try await client.dehydratedEvents(alice, device.deviceID, query: "limit=500")
            #expect(capped.numbers == Array(0..<100))
        }
    }

    @Test("The older POST …/events takes next_batch in the body and always answers one, ending with an empty page")
    func legacyPostEvents() async throws {
        try await Self.scene(messages: 110) { client, alice, bob, device in

            let first = try await client.request(.post, device.eventsPath, token: alice.token, body: [:])
            #expect(first.numbers == Array(0..<100))
            let token = try #require(first["next_batch"]?.stringValue)
            let second = try await client.request(
                .post, device.eventsPath, token: alice.token, body: ["next_batch": .string(token)])
            #expect(second.numbers == Array(100..<110))
            let end = try #require(second["next_batch"]?.stringValue)
            let third = try await client.request(
                .post, device.eventsPath, token: alice.token, body: ["next_batch": .string(end)])
            #expect(third.status == 200)
            #expect(third["events"] == [])
            #expect(third["next_batch"]?.stringValue != nil)
            #expect(try await client.request(.post, device.eventsPath, token: alice.token).numbers == Array(0..<100))
        }
    }

    @Test("…/events is 403 but for the user's dehydrated device, and 400 for a token or limit it did not hand out")
    func eventsRefusals() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let device = DehydratedDevice(alice)
            let none = try await client.dehydratedEvents(alice, device.deviceID)
            #expect(none.status == 403)
            #expect(none.errcode == "M_FORBIDDEN")

            try await client.dehydrate(alice, device)
            for (user, deviceID) in [(alice, alice.deviceID), (alice, "NOPE"), (bob, device.deviceID)] {
                let reply = try await client.dehydratedEvents(user, deviceID)
                #expect(reply.status == 403, "\(deviceID)")
                #expect(reply.errcode == "M_FORBIDDEN", "\(deviceID)")
            }
            for token in ["x1", "d", "d-1", "d+1", "s1_2_3_4"] {
                let reply = try await client.dehydratedEvents(alice, device.deviceID, from: token)
                #expect(reply.status == 400, "\(token)")
                #expect(reply.errcode == "M_INVALID_PARAM", "\(token)")
            }
            for limit in ["0", "-1", "ten"] {
                let reply = try await client.dehydratedEvents(alice, device.deviceID, query: "limit=\(limit)")
                #expect(reply.status == 400, "\(limit)")
            }
        }
    }

    @Test("Messages to all of a user's devices reach the dehydrated device too")
    func wildcardReachesIt() async throws {
        try await Self.scene { client, alice, bob, device in
            try await client.sendToDevice(from: bob, to: alice, "*", count: 2)
            #expect(try await client.dehydratedEvents(alice, device.deviceID).numbers == [0, 1])
            #expect(try await client.sync(alice).toDeviceEvents.count == 2)
        }
    }

    @Test("A new PUT replaces the device: the old one's keys and messages go, under a new ID or the same")
    func putReplaces() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let old = DehydratedDevice(alice)
            try await client.dehydrate(alice, old)
            try await client.sendToDevice(from: bob, to: alice, old.deviceID, count: 3)

            let new = DehydratedDevice(alice)
            try await client.dehydrate(alice, new)
            #expect(try await client.getDehydrated(alice)["device_id"]?.stringValue == new.deviceID)
            let query = try await SigningSession(client, bob).query([alice.userID])
            #expect(query["device_keys"]?[alice.userID]?[old.deviceID] == nil)
            #expect(query["device_keys"]?[alice.userID]?[new.deviceID] != nil)
            #expect(try await client.dehydratedEvents(alice, old.deviceID).status == 403)
            #expect(try await client.dehydratedEvents(alice, new.deviceID)["events"] == [])
            let claim = try await client.client(
                .post, "/keys/claim", token: bob.token,
                body: ["one_time_keys": [alice.userID: [old.deviceID: "signed_curve25519"]]])
            #expect(claim["one_time_keys"] == [:])

            // The same ID again, with new keys: a new device, without the messages of the last one.
            try await client.sendToDevice(from: bob, to: alice, new.deviceID, count: 2)
            let sameID = DehydratedDevice(alice, deviceID: new.deviceID)
            try await client.dehydrate(alice, sameID)
            #expect(try await client.dehydratedEvents(alice, new.deviceID)["events"] == [])
            let requery = try await SigningSession(client, bob).query([alice.userID])
            #expect(
                requery["device_keys"]?[alice.userID]?[new.deviceID]?["keys"]?["ed25519:\(new.deviceID)"]
                    == .string(sameID.keys.ed25519))
        }
    }

    @Test("A device_id naming another of the user's devices is refused; that device keeps its session")
    func otherDeviceIDRefused() async throws {
        try await TestServer.run(config: Client.dehydratedConfig()) { client in
            let alice = try await client.register("alice")
            let phone = try await client.login(alice, deviceID: "PHONE")
            let reply = try await client.putDehydrated(alice, DehydratedDevice(alice, deviceID: "PHONE").body())
            #expect(reply.status == 400)
            #expect(reply.errcode == "M_INVALID_PARAM")
            #expect(try await client.getDehydrated(alice).status == 404)
            #expect(try await client.client(.get, "/account/whoami", token: phone.token).status == 200)
            #expect(try await client.client(.get, "/devices/PHONE", token: alice.token).status == 200)
            let query = try await SigningSession(client, alice).query([alice.userID])
            #expect(query["device_keys"]?[alice.userID]?["PHONE"] == nil)
        }
    }

    @Test("DELETE /devices/{id} and /logout/all delete it as the MSC says")
    func deletedWithTheUsersDevices() async throws {
        try await Self.scene { client, alice, _, device in
            let deleted = try await client.deleteDevice(alice, device.deviceID)
            #expect(deleted.status == 200, "\(deleted.body)")
            #expect(try await client.getDehydrated(alice).status == 404)

            try await client.dehydrate(alice, DehydratedDevice(alice))
            #expect(try await client.client(.post, "/logout/all", token: alice.token).status == 200)
            let again = try await client.login(alice)
            #expect(try await client.getDehydrated(again).status == 404)
        }
    }

    @Test("The device, its keys and its messages survive a restart")
    func survivesARestart() async throws {
        let config = Client.dehydratedConfig()
        let captured = Captured<(TestUser, DehydratedDevice, JSONValue)>()
        try await TestServer.run(config: config) { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let device = DehydratedDevice(alice)
            try await client.dehydrate(alice, device)
            try await client.sendToDevice(from: bob, to: alice, device.deviceID, count: 5)
            #expect(try await client.dehydratedEvents(alice, device.deviceID).numbers == [0, 1, 2, 3, 4])
            let keys = try await SigningSession(client, alice).query([alice.userID])
            await captured.set((alice, device, keys))
        }
        let (alice, device, keys) = try #require(await captured.value)
        try await TestServer.run(config: config) { client in
            let get = try await client.getDehydrated(alice)
            #expect(get.body == ["device_id": .string(device.deviceID), "device_data": DehydratedDevice.data])
            #expect(try await client.dehydratedEvents(alice, device.deviceID).numbers == [0, 1, 2, 3, 4])
            #expect(try await SigningSession(client, alice).query([alice.userID]) == keys)
        }
    }
}
