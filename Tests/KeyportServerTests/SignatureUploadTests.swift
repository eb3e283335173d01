import Hummingbird
import MatrixModel
import Testing

/// `POST /keys/signatures/upload`: valid signatures are stored and shown in `/keys/query` to the
/// users allowed to see them; every rejected item is reported under `failures`, never dropped.
@Suite struct SignatureUploadTests {
    /// A user with uploaded device keys and a full set of cross-signing keys.
    struct CrossSignedUser {
        let session: SigningSession
        let device: DeviceKeyFactory
        let deviceKeys: JSONValue
        let master: CrossSigningKeyFactory
        let selfSigning: CrossSigningKeyFactory
        let userSigning: CrossSigningKeyFactory

        var userID: String { session.user.userID }
        var deviceID: String { session.user.deviceID }
        var selfSignature: String? { signature(of: deviceKeys, by: userID, key: "ed25519:\(deviceID)") }

        static func make(_ client: MatrixClient, _ username: String) async throws -> CrossSignedUser {
            let session = SigningSession(client, try await client.register(username))
            let device = DeviceKeyFactory(session.user)
            let deviceKeys = device.deviceKeys()
            let uploadKeys = try await session.uploadKeys(deviceKeys: deviceKeys)
            try #require(uploadKeys.status == 200, "keys/upload failed: \(uploadKeys.body)")
            let user = CrossSignedUser(
                session: session, device: device, deviceKeys: deviceKeys,
                master: CrossSigningKeyFactory(userID: session.user.userID, usage: "master"),
                selfSigning: CrossSigningKeyFactory(userID: session.user.userID, usage: "self_signing"),
                userSigning: CrossSigningKeyFactory(userID: session.user.userID, usage: "user_signing"))
            let upload = try await session.uploadSigningKeys(
                master: user.master.object(), selfSigning: user.selfSigning.object(signedBy: user.master),
                userSigning: user.userSigning.object(signedBy: user.master))
            try #require(upload.status == 200, "device_signing/upload failed: \(upload.body)")
            return user
        }
    }

    /// `failures[user][keyID]` of a signatures/upload reply.
    static func failure(_ reply: MatrixClient.Reply, _ userID: String, _ keyID: String) -> JSONValue? {
        reply["failures"]?[userID]?[keyID]
    }

    /// True when a reply reports no failure at all (`failures` absent or `{}`).
    static func noFailures(_ reply: MatrixClient.Reply) -> Bool {
        reply["failures"] == nil || reply["failures"] == [:]
    }

    @Test func selfSigningSignatureOnOwnDeviceIsShownToEveryone() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            let bob = SigningSession(client, try await client.register("bob"))
            let signed = alice.selfSigning.sign(alice.deviceKeys)
            let sskSignature = try #require(signature(of: signed, by: alice.userID, key: alice.selfSigning.keyID))

            let before = try await alice.session.quietPosition()
            let reply = try await alice.session.uploadSignatures([alice.userID: [alice.deviceID: signed]])
            #expect(reply.status == 200)
            #expect(Self.noFailures(reply), "\(reply.body)")
            #expect(try await alice.session.changed(since: before).contains(alice.userID))

            let expected: JSONValue = [
                "ed25519:\(alice.deviceID)": .string(try #require(alice.selfSignature)),
                alice.selfSigning.keyID: .string(sskSignature),
            ]
            for viewer in [alice.session, bob] {
                let query = try await viewer.query([alice.userID])
                let device = query["device_keys"]?[alice.userID]?[alice.deviceID]
                #expect(device?["signatures"]?[alice.userID] == expected, "as seen by \(viewer.user.userID)")
            }
        }
    }

    /// Clients sign what `/keys/query` gave them, `unsigned` included; that is not a different object.
    @Test func signingTheQueriedDeviceObjectWithUnsignedIsAccepted() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            let queried = try await alice.session.query([alice.userID])
            let device = try #require(queried["device_keys"]?[alice.userID]?[alice.deviceID])
            #expect(device["unsigned"] != nil)
            let signed = alice.selfSigning.sign(device)
            let reply = try await alice.session.uploadSignatures([alice.userID: [alice.deviceID: signed]])
            #expect(reply.status == 200)
            #expect(Self.noFailures(reply), "\(reply.body)")
            let after = try await alice.session.query([alice.userID])
            #expect(
                signature(
                    of: after["device_keys"]?[alice.userID]?[alice.deviceID], by: alice.userID,
                    key: alice.selfSigning.keyID)
                    == signature(of: signed, by: alice.userID, key: alice.selfSigning.keyID))
        }
    }

    @Test func ownDeviceSignatureOnOwnMasterKeyIsShownToEveryone() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            let bob = SigningSession(client, try await client.register("bob"))
            let signed = alice.device.sign(alice.master.object())
            let deviceSignature = try #require(
                signature(of: signed, by: alice.userID, key: "ed25519:\(alice.deviceID)"))

            let reply = try await alice.session.uploadSignatures([alice.userID: [alice.master.publicKey: signed]])
            #expect(reply.status == 200)
            #expect(Self.noFailures(reply), "\(reply.body)")

            for viewer in [alice.session, bob] {
                let query = try await viewer.query([alice.userID])
                let master = query["master_keys"]?[alice.userID]
                #expect(
                    signature(of: master, by: alice.userID, key: "ed25519:\(alice.deviceID)") == deviceSignature,
                    "as seen by \(viewer.user.userID)")
                #expect(master?["keys"] == alice.master.object()["keys"])
            }
        }
    }

    @Test func userSigningSignatureIsShownOnlyToTheSigner() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            let bob = SigningSession(client, try await client.register("bob"))
            let carol = SigningSession(client, try await client.register("carol"))
            let bobsMaster = CrossSigningKeyFactory(userID: bob.user.userID, usage: "master")
            #expect(try await bob.uploadSigningKeys(master: bobsMaster.object()).status == 200)

            let signed = alice.userSigning.sign(bobsMaster.object())
            let uskSignature = try #require(signature(of: signed, by: alice.userID, key: alice.userSigning.keyID))
            let reply = try await alice.session.uploadSignatures([bob.user.userID: [bobsMaster.publicKey: signed]])
            #expect(reply.status == 200)
            #expect(Self.noFailures(reply), "\(reply.body)")

            let signersView = try await alice.session.query([bob.user.userID])
            #expect(
                signature(
                    of: signersView["master_keys"]?[bob.user.userID], by: alice.userID, key: alice.userSigning.keyID)
                    == uskSignature)
            let ownView = try await bob.query([bob.user.userID])
            #expect(ownView["master_keys"]?[bob.user.userID] == bobsMaster.object())
            let thirdView = try await carol.query([bob.user.userID])
            #expect(thirdView["master_keys"]?[bob.user.userID] == bobsMaster.object())
        }
    }

    @Test func invalidSignatureIsReportedAndNotStored() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            // A real signature, but by another key, filed under the self-signing key's ID.
            let impostor = CrossSigningKeyFactory(userID: alice.userID, usage: "self_signing")
            let forged = try #require(
                signature(of: impostor.sign(alice.deviceKeys), by: alice.userID, key: impostor.keyID))
            let bad = withSignature(alice.deviceKeys, by: alice.userID, key: alice.selfSigning.keyID, forged)
            // A valid item in the same request is still stored.
            let good = alice.device.sign(alice.master.object())

            let reply = try await alice.session.uploadSignatures([
                alice.userID: [alice.deviceID: bad, alice.master.publicKey: good]
            ])
            #expect(reply.status == 200)
            #expect(
                Self.failure(reply, alice.userID, alice.deviceID)?["errcode"] == "M_INVALID_SIGNATURE", "\(reply.body)")
            #expect(Self.failure(reply, alice.userID, alice.master.publicKey) == nil)

            let query = try await alice.session.query([alice.userID])
            let device = query["device_keys"]?[alice.userID]?[alice.deviceID]
            #expect(
                device?["signatures"]?[alice.userID] == [
                    "ed25519:\(alice.deviceID)": .string(alice.selfSignature ?? "")
                ])
            #expect(
                signature(of: query["master_keys"]?[alice.userID], by: alice.userID, key: "ed25519:\(alice.deviceID)")
                    == signature(of: good, by: alice.userID, key: "ed25519:\(alice.deviceID)"))
        }
    }

    @Test func unknownTargetsAreFailuresNotSilentDrops() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            var otherDevice = alice.deviceKeys
            otherDevice["device_id"] = "NOSUCHDEVICE"
            let unknownDevice = alice.selfSigning.sign(otherDevice)
            let unknownMaster = CrossSigningKeyFactory(userID: alice.userID, usage: "master")
            let stranger = "@nobody:\(client.serverName)"
            let strangersMaster = CrossSigningKeyFactory(userID: stranger, usage: "master")

            let reply = try await alice.session.uploadSignatures([
                alice.userID: [
                    "NOSUCHDEVICE": unknownDevice,
                    unknownMaster.publicKey: alice.device.sign(unknownMaster.object()),
                ],
                stranger: [strangersMaster.publicKey: alice.userSigning.sign(strangersMaster.object())],
            ])
            #expect(reply.status == 200)
            #expect(Self.failure(reply, alice.userID, "NOSUCHDEVICE")?["errcode"]?.stringValue?.hasPrefix("M_") == true)
            #expect(Self.failure(reply, alice.userID, unknownMaster.publicKey)?["errcode"]?.stringValue != nil)
            #expect(Self.failure(reply, stranger, strangersMaster.publicKey)?["errcode"]?.stringValue != nil)
        }
    }

    @Test func signedObjectDifferentFromTheStoredKeyIsAFailure() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            var altered = alice.deviceKeys
            altered["algorithms"] = ["m.megolm.v1.aes-sha2"]
            let signed = alice.selfSigning.sign(altered)
            var alteredMaster = alice.master.object()
            alteredMaster["usage"] = ["master", "self_signing"]
            let signedMaster = alice.device.sign(alteredMaster)

            let reply = try await alice.session.uploadSignatures([
                alice.userID: [alice.deviceID: signed, alice.master.publicKey: signedMaster]
            ])
            #expect(reply.status == 200)
            #expect(Self.failure(reply, alice.userID, alice.deviceID)?["errcode"]?.stringValue != nil, "\(reply.body)")
            #expect(Self.failure(reply, alice.userID, alice.master.publicKey)?["errcode"]?.stringValue != nil)

            let query = try await alice.session.query([alice.userID])
            let device = query["device_keys"]?[alice.userID]?[alice.deviceID]
            #expect(device?["algorithms"] == alice.deviceKeys["algorithms"])
            #expect(signature(of: device, by: alice.userID, key: alice.selfSigning.keyID) == nil)
            #expect(query["master_keys"]?[alice.userID] == alice.master.object())
        }
    }

    @Test func signaturesByKeysThatMayNotSignAreFailures() async throws {
        try await TestServer.run { client in
            let alice = try await CrossSignedUser.make(client, "alice")
            let bob = try await CrossSignedUser.make(client, "bob")
            // Alice's user-signing key may not sign her own device; her self-signing key may not
            // sign bob's device; bob's master may only be signed by alice's user-signing key.
            let ownDeviceByUSK = alice.userSigning.sign(alice.deviceKeys)
            let bobsDeviceBySSK = alice.selfSigning.sign(bob.deviceKeys)
            let bobsMasterBySSK = alice.selfSigning.sign(bob.master.object())

            let reply = try await alice.session.uploadSignatures([
                alice.userID: [alice.deviceID: ownDeviceByUSK],
                bob.userID: [bob.deviceID: bobsDeviceBySSK, bob.master.publicKey: bobsMasterBySSK],
            ])
            #expect(reply.status == 200)
            #expect(Self.failure(reply, alice.userID, alice.deviceID)?["errcode"]?.stringValue != nil, "\(reply.body)")
            #expect(Self.failure(reply, bob.userID, bob.deviceID)?["errcode"]?.stringValue != nil)
            #expect(Self.failure(reply, bob.userID, bob.master.publicKey)?["errcode"]?.stringValue != nil)

            let query = try await alice.session.query([alice.userID, bob.userID])
            let aliceDevice = query["device_keys"]?[alice.userID]?[alice.deviceID]
            #expect(signature(of: aliceDevice, by: alice.userID, key: alice.userSigning.keyID) == nil)
            let bobDevice = query["device_keys"]?[bob.userID]?[bob.deviceID]
            #expect(bobDevice?["signatures"]?[alice.userID] == nil)
            #expect(query["master_keys"]?[bob.userID]?["signatures"]?[alice.userID] == nil)
        }
    }
}
