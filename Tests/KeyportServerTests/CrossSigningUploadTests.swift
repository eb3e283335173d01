import Hummingbird
import MatrixModel
import Testing

/// `POST /keys/device_signing/upload`: when UIA is needed (MSC3967), which keys are refused, who
/// sees them in `/keys/query`, and the device-list change an upload makes
/// (sytest 41end-to-end-keys/08-cross-signing, Complement msc3967).
@Suite struct CrossSigningUploadTests {
    /// The stages of each flow in a UIA 401.
    static func flowStages(_ reply: MatrixClient.Reply) -> [[String]] {
        (reply["flows"]?.arrayValue ?? []).map { flow in flow["stages"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    }

    @Test func firstMasterUploadNeedsNoAuthAndQueryReturnsItUnchanged() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let bob = SigningSession(client, try await client.register("bob"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let upload = try await alice.uploadSigningKeys(master: master.object())
            #expect(upload.status == 200, "\(upload.body)")
            for viewer in [alice, bob] {
                let query = try await viewer.query([alice.user.userID])
                let shown = query["master_keys"]?[alice.user.userID]
                #expect(shown == master.object())
                #expect(shown?["signatures"] == nil)
            }
        }
    }

    @Test func identicalReuploadNeedsNoAuth() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let keys = (master: master.object(), ssk: selfSigning.object(signedBy: master))
            let first = try await alice.uploadSigningKeys(master: keys.master, selfSigning: keys.ssk)
            #expect(first.status == 200, "\(first.body)")
            let again = try await alice.uploadSigningKeys(master: keys.master, selfSigning: keys.ssk)
            #expect(again.status == 200, "\(again.body)")
            let masterOnly = try await alice.uploadSigningKeys(master: keys.master)
            #expect(masterOnly.status == 200, "\(masterOnly.body)")
        }
    }

    @Test func replacingTheMasterKeyNeedsThePassword() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let first = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let second = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            #expect(try await alice.uploadSigningKeys(master: first.object()).status == 200)

            let challenge = try await alice.uploadSigningKeys(master: second.object())
            #expect(challenge.status == 401)
            #expect(Self.flowStages(challenge).contains(["m.login.password"]), "\(challenge.body)")
            let session = challenge["session"]?.stringValue
            #expect(session?.isEmpty == false)
            let unchanged = try await alice.query([alice.user.userID])
            #expect(unchanged["master_keys"]?[alice.user.userID] == first.object())

            let authed = try await alice.uploadSigningKeys(
                master: second.object(), auth: alice.passwordAuth(session: session))
            #expect(authed.status == 200, "\(authed.body)")
            let replaced = try await alice.query([alice.user.userID])
            #expect(replaced["master_keys"]?[alice.user.userID] == second.object())

            // sytest sends the legacy `{type, user, password}` form without a session.
            let third = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let legacy: JSONValue = [
                "type": "m.login.password", "user": .string(alice.user.userID),
                "password": .string(alice.user.password),
            ]
            let legacyReply = try await alice.uploadSigningKeys(master: third.object(), auth: legacy)
            #expect(legacyReply.status == 200, "\(legacyReply.body)")
            let latest = try await alice.query([alice.user.userID])
            #expect(latest["master_keys"]?[alice.user.userID] == third.object())
        }
    }

    @Test func addingASelfSigningKeyAfterTheMasterNeedsAuth() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let signedSSK = selfSigning.object(signedBy: master)
            #expect(try await alice.uploadSigningKeys(master: master.object()).status == 200)

            let challenge = try await alice.uploadSigningKeys(selfSigning: signedSSK)
            #expect(challenge.status == 401)
            #expect(Self.flowStages(challenge).contains(["m.login.password"]))
            let notYet = try await alice.query([alice.user.userID])
            #expect(notYet["self_signing_keys"]?[alice.user.userID] == nil)

            let auth = alice.passwordAuth(session: challenge["session"]?.stringValue)
            let authed = try await alice.uploadSigningKeys(selfSigning: signedSSK, auth: auth)
            #expect(authed.status == 200, "\(authed.body)")
            // Complement: repeating the request with the same auth dict succeeds too.
            let repeated = try await alice.uploadSigningKeys(selfSigning: signedSSK, auth: auth)
            #expect(repeated.status == 200, "\(repeated.body)")
            let query = try await alice.query([alice.user.userID])
            #expect(query["self_signing_keys"]?[alice.user.userID] == signedSSK)
            #expect(query["master_keys"]?[alice.user.userID] == master.object())
        }
    }

    @Test func selfSigningKeyNotSignedByTheMasterIsRejected() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let stranger = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")

            // Unsigned, alongside the master in the first upload: nothing at all is stored.
            let unsigned = try await alice.uploadSigningKeys(master: master.object(), selfSigning: selfSigning.object())
            #expect(unsigned.status == 400)
            #expect(unsigned.errcode == "M_INVALID_SIGNATURE")
            let nothing = try await alice.query([alice.user.userID])
            #expect(nothing["master_keys"]?[alice.user.userID] == nil)
            #expect(nothing["self_signing_keys"]?[alice.user.userID] == nil)

            // Signed by another key, against the stored master, with valid auth.
            #expect(try await alice.uploadSigningKeys(master: master.object()).status == 200)
            let wrongSigner = try await alice.uploadSigningKeys(
                selfSigning: selfSigning.object(signedBy: stranger), auth: alice.passwordAuth(session: nil))
            #expect(wrongSigner.status == 400)
            #expect(wrongSigner.errcode == "M_INVALID_SIGNATURE")
            let userSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "user_signing")
            let wrongUSK = try await alice.uploadSigningKeys(
                userSigning: userSigning.object(signedBy: stranger), auth: alice.passwordAuth(session: nil))
            #expect(wrongUSK.status == 400)
            #expect(wrongUSK.errcode == "M_INVALID_SIGNATURE")
            let query = try await alice.query([alice.user.userID])
            #expect(query["self_signing_keys"]?[alice.user.userID] == nil)
            #expect(query["user_signing_keys"]?[alice.user.userID] == nil)
        }
    }

    @Test func selfSigningKeyWithoutAnyMasterIsMissingParam() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let reply = try await alice.uploadSigningKeys(selfSigning: selfSigning.object(signedBy: master))
            #expect(reply.status == 400)
            #expect(reply.errcode == "M_MISSING_PARAM")
            let query = try await alice.query([alice.user.userID])
            #expect(query["self_signing_keys"]?[alice.user.userID] == nil)
        }
    }

    @Test func masterKeyEqualToADeviceIDIsForbidden() async throws {
        try await TestServer.run { client in
            let registered = try await client.register("alice")
            let master = CrossSigningKeyFactory(userID: registered.userID, usage: "master")
            let device = try await client.login(registered, deviceID: master.publicKey)
            #expect(device.deviceID == master.publicKey)
            let alice = SigningSession(client, device)
            let reply = try await alice.uploadSigningKeys(master: master.object())
            #expect(reply.status == 403)
            #expect(reply.errcode == "M_FORBIDDEN")
            let query = try await alice.query([alice.user.userID])
            #expect(query["master_keys"]?[alice.user.userID] == nil)
        }
    }

    /// The spec's 403 covers "the public key of one of the keys", not only the master's.
    @Test func selfSigningOrUserSigningKeyEqualToADeviceIDIsForbidden() async throws {
        try await TestServer.run { client in
            let registered = try await client.register("alice")
            let alice = SigningSession(client, registered)
            let master = CrossSigningKeyFactory(userID: registered.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: registered.userID, usage: "self_signing")
            let userSigning = CrossSigningKeyFactory(userID: registered.userID, usage: "user_signing")
            _ = try await client.login(registered, deviceID: selfSigning.publicKey)
            _ = try await client.login(registered, deviceID: userSigning.publicKey)

            let withSSK = try await alice.uploadSigningKeys(
                master: master.object(), selfSigning: selfSigning.object(signedBy: master))
            #expect(withSSK.status == 403, "\(withSSK.body)")
            #expect(withSSK.errcode == "M_FORBIDDEN")
            let withUSK = try await alice.uploadSigningKeys(
                master: master.object(), userSigning: userSigning.object(signedBy: master),
                auth: alice.passwordAuth(session: nil))
            #expect(withUSK.status == 403, "\(withUSK.body)")
            #expect(withUSK.errcode == "M_FORBIDDEN")
            let query = try await alice.query([registered.userID])
            #expect(query["self_signing_keys"]?[registered.userID] == nil)
            #expect(query["user_signing_keys"]?[registered.userID] == nil)
        }
    }

    @Test func keysOfAnotherUserAreRejected() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let bob = try await client.register("bob")
            let bobsMaster = CrossSigningKeyFactory(userID: bob.userID, usage: "master")
            let reply = try await alice.uploadSigningKeys(master: bobsMaster.object())
            #expect(reply.status == 400)
            #expect(reply.errcode != nil)
            let query = try await alice.query([alice.user.userID, bob.userID])
            #expect(query["master_keys"]?[alice.user.userID] == nil)
            #expect(query["master_keys"]?[bob.userID] == nil)
        }
    }

    @Test func userSigningKeyIsVisibleOnlyToItsOwner() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let bob = SigningSession(client, try await client.register("bob"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let userSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "user_signing")
            let signedSSK = selfSigning.object(signedBy: master)
            let signedUSK = userSigning.object(signedBy: master)
            let upload = try await alice.uploadSigningKeys(
                master: master.object(), selfSigning: signedSSK, userSigning: signedUSK)
            #expect(upload.status == 200, "\(upload.body)")

            let own = try await alice.query([alice.user.userID])
            #expect(own["user_signing_keys"]?[alice.user.userID] == signedUSK)
            let other = try await bob.query([alice.user.userID])
            #expect(other["user_signing_keys"]?[alice.user.userID] == nil)
            #expect(other["master_keys"]?[alice.user.userID] == master.object())
            #expect(other["self_signing_keys"]?[alice.user.userID] == signedSSK)
        }
    }

    @Test func wrongPasswordIs401Forbidden() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let first = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let second = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            #expect(try await alice.uploadSigningKeys(master: first.object()).status == 200)
            let challenge = try await alice.uploadSigningKeys(master: second.object())
            let session = challenge["session"]?.stringValue
            let reply = try await alice.uploadSigningKeys(
                master: second.object(), auth: alice.passwordAuth(session: session, password: "not-the-password"))
            #expect(reply.status == 401)
            #expect(reply.errcode == "M_FORBIDDEN")
            #expect(Self.flowStages(reply).contains(["m.login.password"]))
            let query = try await alice.query([alice.user.userID])
            #expect(query["master_keys"]?[alice.user.userID] == first.object())
        }
    }

    @Test func ownUploadsMarkOwnDeviceListChanged() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let bob = SigningSession(client, try await client.register("bob"))
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let userSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "user_signing")

            let signedSSK = selfSigning.object(signedBy: master)
            let beforeMaster = try await alice.quietPosition()
            #expect(try await alice.changed(since: beforeMaster).contains(alice.user.userID) == false)
            let upload = try await alice.uploadSigningKeys(master: master.object(), selfSigning: signedSSK)
            #expect(upload.status == 200)
            #expect(try await alice.changed(since: beforeMaster).contains(alice.user.userID))
            // No room is shared, so bob is not told.
            #expect(try await bob.changed(since: 0).contains(alice.user.userID) == false)

            // An identical re-upload changes nothing.
            let beforeRepeat = try await alice.quietPosition()
            let repeated = try await alice.uploadSigningKeys(master: master.object(), selfSigning: signedSSK)
            #expect(repeated.status == 200)
            #expect(try await alice.changed(since: beforeRepeat).contains(alice.user.userID) == false)

            // The user-signing key is private, but its owner still hears of it.
            let beforeUSK = try await alice.quietPosition()
            let usk = try await alice.uploadSigningKeys(
                userSigning: userSigning.object(signedBy: master), auth: alice.passwordAuth(session: nil))
            #expect(usk.status == 200, "\(usk.body)")
            #expect(try await alice.changed(since: beforeUSK).contains(alice.user.userID))
        }
    }
}
