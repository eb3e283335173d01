import KeyportStore
import MatrixModel
import Testing

/// `CrossSigningStore` contracts.
enum CrossSigningChecks {
    static let all: [StoreCheck] = [
        StoreCheck("cross-signing: keys are stored by usage", storeAndRead),
        StoreCheck("cross-signing: replacing keys records the right kind of change", replaceKinds),
        StoreCheck("cross-signing: a new master key drops signatures over the old one", masterReplacement),
        StoreCheck("cross-signing: signatures and their visibility", signatureVisibility),
    ]

    static func key(_ userID: String, _ usage: CrossSigningUsage, _ publicKey: String) -> CrossSigningKeyRecord {
        CrossSigningKeyRecord(
            usage: usage, publicKey: publicKey,
            object: [
                "user_id": .string(userID), "usage": [.string(usage.rawValue)],
                "keys": ["ed25519:\(publicKey)": .string(publicKey)],
            ])
    }

    static func fullSet(_ userID: String, suffix: String = "1") -> [CrossSigningKeyRecord] {
        [
            key(userID, .master, "MSK\(suffix)"), key(userID, .selfSigning, "SSK\(suffix)"),
            key(userID, .userSigning, "USK\(suffix)"),
        ]
    }

    static func kinds(_ changes: [DeviceListChange]) -> Set<DeviceListChange.Kind> { Set(changes.map(\.kind)) }

    static func storeAndRead(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        #expect(try await store.crossSigningKeys(userID: alice) == [:])
        let position = try await store.currentDeviceListPosition()
        try await store.setCrossSigningKeys(userID: alice, keys: fullSet(alice))
        try await store.setCrossSigningKeys(userID: bob, keys: [key(bob, .master, "BOB-MSK")])

        let stored = try await store.crossSigningKeys(userID: alice)
        #expect(
            stored == [
                .master: key(alice, .master, "MSK1"), .selfSigning: key(alice, .selfSigning, "SSK1"),
                .userSigning: key(alice, .userSigning, "USK1"),
            ])
        let several = try await store.crossSigningKeys(userIDs: [alice, bob, carol])
        #expect(several[alice] == stored)
        #expect(several[bob] == [.master: key(bob, .master, "BOB-MSK")])
        #expect((several[carol] ?? [:]).isEmpty)

        let recorded = try await changes(store, after: position)
        #expect(recorded.filter { $0.userID == alice }.map(\.kind).contains(.crossSigning))
        #expect(recorded.filter { $0.userID == bob }.map(\.kind).contains(.crossSigning))
        #expect(!kinds(recorded).contains(.device))
    }

    static func replaceKinds(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await store.setCrossSigningKeys(userID: alice, keys: fullSet(alice))

        var position = try await store.currentDeviceListPosition()
        try await store.setCrossSigningKeys(userID: alice, keys: fullSet(alice))
        #expect(try await changes(store, after: position) == [], "identical keys change nothing")

        try await store.setCrossSigningKeys(userID: alice, keys: [key(alice, .userSigning, "USK2")])
        let userSigningOnly = try await changes(store, after: position)
        #expect(!userSigningOnly.isEmpty)
        #expect(kinds(userSigningOnly) == [.privateToUser], "a user-signing key must not be announced to others")
        #expect(userSigningOnly.allSatisfy { $0.userID == alice })
        #expect(try await store.crossSigningKeys(userID: alice)[.userSigning] == key(alice, .userSigning, "USK2"))
        #expect(try await store.crossSigningKeys(userID: alice)[.master] == key(alice, .master, "MSK1"))

        position = try await store.currentDeviceListPosition()
        try await store.setCrossSigningKeys(userID: alice, keys: [key(alice, .selfSigning, "SSK2")])
        #expect(kinds(try await changes(store, after: position)).contains(.crossSigning))

        position = try await store.currentDeviceListPosition()
        try await store.setCrossSigningKeys(userID: alice, keys: fullSet(alice, suffix: "3"))
        #expect(kinds(try await changes(store, after: position)).contains(.crossSigning))
        #expect(
            try await store.crossSigningKeys(userID: alice)
                == Dictionary(
                    uniqueKeysWithValues: fullSet(alice, suffix: "3").map { ($0.usage, $0) }))
    }

    static func masterReplacement(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await store.setCrossSigningKeys(userID: alice, keys: fullSet(alice))
        let overOldMaster = KeySignature(
            targetUserID: alice, targetKeyID: "MSK1", signerUserID: bob, signerKeyID: "ed25519:BOB-USK", signature: "s1"
        )
        let overDevice = KeySignature(
            targetUserID: bob, targetKeyID: "BOBDEVICE", signerUserID: bob, signerKeyID: "ed25519:BOB-SSK",
            signature: "s2")
        try await store.addSignatures([overOldMaster, overDevice])
        #expect(try await store.signatures(targetUserIDs: [alice]) == [overOldMaster])

        let position = try await store.currentDeviceListPosition()
        try await store.setCrossSigningKeys(userID: alice, keys: [key(alice, .master, "MSK2")])
        #expect(kinds(try await changes(store, after: position)).contains(.crossSigning))
        #expect(try await store.crossSigningKeys(userID: alice)[.master] == key(alice, .master, "MSK2"))
        #expect(try await store.signatures(targetUserIDs: [alice]) == [])
        #expect(try await store.signatures(targetUserIDs: [bob]) == [overDevice])
    }

    static func signatureVisibility(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await store.setCrossSigningKeys(userID: alice, keys: fullSet(alice))
        try await store.setCrossSigningKeys(userID: bob, keys: fullSet(bob, suffix: "B"))

        var position = try await store.currentDeviceListPosition()
        let ownDevice = KeySignature(
            targetUserID: alice, targetKeyID: "DEVICE", signerUserID: alice, signerKeyID: "ed25519:SSK1",
            signature: "d1")
        try await store.addSignatures([ownDevice])
        let ownChanges = try await changes(store, after: position)
        #expect(kinds(ownChanges) == [.crossSigning])
        #expect(Set(ownChanges.map(\.userID)) == [alice])

        position = try await store.currentDeviceListPosition()
        let ownMaster = KeySignature(
            targetUserID: alice, targetKeyID: "MSK1", signerUserID: alice, signerKeyID: "ed25519:DEVICE",
            signature: "m1")
        try await store.addSignatures([ownMaster])
        #expect(kinds(try await changes(store, after: position)) == [.crossSigning])

        position = try await store.currentDeviceListPosition()
        let overBob = KeySignature(
            targetUserID: bob, targetKeyID: "MSKB", signerUserID: alice, signerKeyID: "ed25519:USK1", signature: "b1")
        try await store.addSignatures([overBob])
        let privateChanges = try await changes(store, after: position)
        #expect(!privateChanges.isEmpty)
        #expect(privateChanges.allSatisfy { $0.userID == alice && $0.kind == .privateToUser })

        #expect(Set(try await store.signatures(targetUserIDs: [alice])) == [ownDevice, ownMaster])
        #expect(try await store.signatures(targetUserIDs: [bob]) == [overBob])
        #expect(
            Set(try await store.signatures(targetUserIDs: [alice, bob, carol])) == [ownDevice, ownMaster, overBob])

        position = try await store.currentDeviceListPosition()
        try await store.addSignatures([ownDevice, overBob])
        #expect(try await changes(store, after: position) == [], "identical signatures change nothing")

        var replaced = ownDevice
        replaced.signature = "d2"
        try await store.addSignatures([replaced])
        #expect(Set(try await store.signatures(targetUserIDs: [alice])) == [replaced, ownMaster])
        #expect(kinds(try await changes(store, after: position)) == [.crossSigning])
    }
}
