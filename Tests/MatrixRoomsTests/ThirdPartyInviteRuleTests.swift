import MatrixModel
import MatrixRooms
import MatrixSigning
import Testing

/// Rule 5.4.1: invites that redeem a third-party invite, with real Ed25519 signatures.
@Suite("Auth rules: third-party invites")
struct ThirdPartyInviteRuleTests {
    let identityKey = SigningKey.generate()
    let alice = TestRoom.alice
    let bob = TestRoom.bob

    func room(_ version: RoomVersion, publicKeys: [String]) throws -> TestRoom {
        var room = try TestRoom(version: version)
        var content: JSONObject = ["display_name": "b…", "key_validity_url": "https://id.test/valid"]
        if let first = publicKeys.first { content["public_key"] = .string(first) }
        content["public_keys"] = .array(publicKeys.dropFirst().map { .object(["public_key": .string($0)]) })
        try room.apply(try room.event(EventType.thirdPartyInvite, stateKey: "tok", sender: alice, content: content))
        return room
    }

    func signed(mxid: String, token: String, key: SigningKey) throws -> JSONValue {
        .object(try SignedJSON.sign(["mxid": .string(mxid), "token": .string(token)], entity: "id.test", key: key))
    }

    func invite(_ room: inout TestRoom, signed: JSONValue, sender: String? = nil) throws -> PDU {
        try room.member(bob, "invite", sender: sender ?? alice, content: ["third_party_invite": ["signed": signed]])
    }

    @Test("A signature by a published key redeems the invite", arguments: RoomVersion.supported)
    func redeemed(_ version: RoomVersion) throws {
        var room = try room(version, publicKeys: [SigningKey.generate().publicKeyBase64, identityKey.publicKeyBase64])
        #expect(room.check(try invite(&room, signed: try signed(mxid: bob, token: "tok", key: identityKey))).isAllowed)
    }

    @Test(
        "Wrong key, wrong user, unknown token, other sender or a banned target are refused",
        arguments: RoomVersion.supported)
    func refused(_ version: RoomVersion) throws {
        var room = try room(version, publicKeys: [identityKey.publicKeyBase64])
        let stranger = SigningKey.generate()
        #expect(!room.check(try invite(&room, signed: try signed(mxid: bob, token: "tok", key: stranger))).isAllowed)
        #expect(
            !room.check(try invite(&room, signed: try signed(mxid: "@x:x.test", token: "tok", key: identityKey)))
                .isAllowed)
        #expect(
            !room.check(try invite(&room, signed: try signed(mxid: bob, token: "other", key: identityKey))).isAllowed)
        #expect(!room.check(try invite(&room, signed: ["mxid": .string(bob), "token": "tok"])).isAllowed)
        try room.join(TestRoom.carol)
        let byCarol = try invite(
            &room, signed: try signed(mxid: bob, token: "tok", key: identityKey), sender: TestRoom.carol)
        #expect(!room.check(byCarol).isAllowed)
        try room.apply(try room.member(bob, "ban", sender: alice))
        #expect(!room.check(try invite(&room, signed: try signed(mxid: bob, token: "tok", key: identityKey))).isAllowed)
    }
}
