import Foundation
import Hummingbird
import MatrixModel
import Testing

/// Profiles and capabilities over HTTP: the localpart until a name is chosen, changes only by the
/// owner and carried into rooms, other servers' users read over federation.
@Suite struct ProfileTests {
    @Test func aNewUserIsTheirLocalpartUntilTheyChooseAName() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            #expect(try await client.client(.get, "/profile/\(alice.userID)").body == ["displayname": "alice"])

            let set = try await client.client(
                .put, "/profile/\(alice.userID)/displayname", token: alice.token, body: ["displayname": "Alice A."])
            #expect(set.status == 200, "\(set.body)")
            _ = try await client.client(
                .put, "/profile/\(alice.userID)/avatar_url", token: alice.token, body: ["avatar_url": "mxc://x/y"])
            #expect(
                try await client.client(.get, "/profile/\(alice.userID)").body == [
                    "displayname": "Alice A.", "avatar_url": "mxc://x/y",
                ])
            #expect(
                try await client.client(.get, "/profile/\(alice.userID)/displayname").body == [
                    "displayname": "Alice A."
                ])

            let theirs = try await client.client(
                .put, "/profile/\(alice.userID)/displayname", token: bob.token, body: ["displayname": "mallory"])
            #expect(theirs.status == 403 && theirs.errcode == "M_FORBIDDEN")
            let long = try await client.client(
                .put, "/profile/\(alice.userID)/displayname", token: alice.token,
                body: ["displayname": .string(String(repeating: "a", count: 257))])
            #expect(long.status == 400 && long.errcode == "M_INVALID_PARAM")
            let missing = try await client.client(
                .put, "/profile/\(alice.userID)/displayname", token: alice.token, body: [:])
            #expect(missing.status == 400 && missing.errcode == "M_MISSING_PARAM")
            #expect(try await client.client(.get, "/profile/@nobody:test.local").errcode == "M_NOT_FOUND")

            let cleared = try await client.client(
                .put, "/profile/\(alice.userID)/avatar_url", token: alice.token, body: ["avatar_url": ""])
            #expect(cleared.status == 200)
            #expect(try await client.client(.get, "/profile/\(alice.userID)/avatar_url").errcode == "M_NOT_FOUND")
        }
    }

    @Test func aNewNameReachesTheRoomsTheUserIsIn() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let created = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["preset": "public_chat"])
            let roomID = try #require(created["room_id"]?.stringValue)
            #expect(try await client.client(.post, "/join/\(roomID)", token: bob.token).status == 200)
            let since = try await client.position(bob)

            _ = try await client.client(
                .put, "/profile/\(alice.userID)/displayname", token: alice.token, body: ["displayname": "Alice A."])
            let sync = try await client.sync(bob, since: since)
            let events = sync["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
            let member = events.last { $0["type"] == "m.room.member" && $0["state_key"] == .string(alice.userID) }
            #expect(member?["content"]?["displayname"] == "Alice A.", "\(sync.body)")
            #expect(member?["content"]?["membership"] == "join")
            let state = try await client.client(
                .get, "/rooms/\(roomID)/state/m.room.member/\(alice.userID)", token: bob.token)
            #expect(state["displayname"] == "Alice A.")
        }
    }

    @Test func capabilitiesSayWhatTheServerDoes() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            #expect(try await client.client(.get, "/capabilities").status == 401)
            let reply = try await client.client(.get, "/capabilities", token: alice.token)
            let capabilities = reply["capabilities"]
            #expect(capabilities?["m.change_password"]?["enabled"] == true)
            #expect(capabilities?["m.set_displayname"]?["enabled"] == true)
            #expect(capabilities?["m.set_avatar_url"]?["enabled"] == true)
            let versions = capabilities?["m.room_versions"]
            let defaultVersion = try #require(versions?["default"]?.stringValue)
            #expect(versions?["available"]?[defaultVersion] == "stable")
            // The default is what createRoom really uses.
            let created = try await client.client(.post, "/createRoom", token: alice.token, body: [:])
            let roomID = try #require(created["room_id"]?.stringValue)
            let create = try await client.client(.get, "/rooms/\(roomID)/state/m.room.create", token: alice.token)
            #expect(create["room_version"] == .string(defaultVersion))
            for version in versions?["available"]?.objectValue?.keys ?? [] {
                let made = try await client.client(
                    .post, "/createRoom", token: alice.token, body: ["room_version": .string(version)])
                #expect(made.status == 200, "room version \(version) is advertised, so it can be created")
            }
        }
    }
}
