import Hummingbird
import MatrixModel
import Testing

/// `POST /keys/signatures/upload` for a user on another server: the signer's user-signing
/// signature on that user's master key (fetched from their server) is kept and shown to the
/// signer alone, as Synapse does.
@Suite(.serialized)
struct RemoteSignatureTests {
    @Test func signingAnotherServersUsersMasterKey() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await SignatureUploadTests.CrossSignedUser.make(a, "alice")
                let carol = SigningSession(a, try await a.register("carol"))
                let bob = SigningSession(b, try await b.register("bob"))
                let bobsMaster = CrossSigningKeyFactory(userID: bob.user.userID, usage: "master")
                #expect(try await bob.uploadSigningKeys(master: bobsMaster.object()).status == 200)

                let signed = alice.userSigning.sign(bobsMaster.object())
                let uskSignature = try #require(signature(of: signed, by: alice.userID, key: alice.userSigning.keyID))
                let other = CrossSigningKeyFactory(userID: bob.user.userID, usage: "master")
                let reply = try await alice.session.uploadSignatures([
                    bob.user.userID: [
                        bobsMaster.publicKey: signed, other.publicKey: alice.userSigning.sign(other.object()),
                    ]
                ])
                #expect(reply.status == 200)
                // The key bob's server has is accepted; a key it does not have is a failure.
                #expect(SignatureUploadTests.failure(reply, bob.user.userID, bobsMaster.publicKey) == nil)
                #expect(
                    SignatureUploadTests.failure(reply, bob.user.userID, other.publicKey)?["errcode"] == "M_NOT_FOUND")

                let signersView = try await alice.session.query([bob.user.userID])
                #expect(
                    signature(
                        of: signersView["master_keys"]?[bob.user.userID], by: alice.userID,
                        key: alice.userSigning.keyID) == uskSignature)
                let othersView = try await carol.query([bob.user.userID])
                #expect(othersView["master_keys"]?[bob.user.userID] == bobsMaster.object())
            }
        }
    }
}
