import KeyportStore
import MatrixModel
import Testing

/// `DehydratedDeviceStore` contracts, and how the dehydrated device sits among the user's devices.
enum DehydratedDeviceChecks {
    static let all: [StoreCheck] = [
        StoreCheck("dehydrated: put stores the device, its keys and its data, and records a change", put),
        StoreCheck("dehydrated: a second put replaces the first with its keys and inbox", replace),
        StoreCheck("dehydrated: a put under the same ID starts the device afresh", sameID),
        StoreCheck("dehydrated: an ID of another device is refused and nothing changes", conflict),
        StoreCheck("dehydrated: an unknown user is refused", unknownUser),
        StoreCheck("dehydrated: delete takes the device, its keys and inbox", delete),
        StoreCheck("dehydrated: deleteDevices and deactivation take the record too", otherDeletions),
        StoreCheck("dehydrated: * to-device messages reach the dehydrated device", wildcard),
        StoreCheck("dehydrated: concurrent puts each replace the last, leaving one", concurrentPuts),
    ]

    static let data: JSONObject = ["algorithm": "org.matrix.msc3814.v2", "device_pickle": "P", "nonce": "N"]

    /// Device keys, two one-time keys and a fallback key for `deviceID`.
    static func keys(_ deviceID: String, _ userID: String = alice) -> KeyUpload {
        upload(
            userID, deviceID, deviceKeys: deviceKeys(userID, deviceID, ed25519: "ed-\(deviceID)"),
            otks: [otk("\(deviceID)-1"), otk("\(deviceID)-2")], fallbacks: [otk("\(deviceID)-F")])
    }

    /// Alice with a logged-in device `PHONE`.
    static func aliceWithPhone(_ makeStore: StoreFactory) async throws -> any KeyportStorage {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "PHONE")
        return store
    }

    static func inboxCount(_ store: any KeyportStorage, _ deviceID: String) async throws -> Int {
        try await store.toDeviceMessages(userID: alice, deviceID: deviceID, after: 0, upTo: .max, limit: 1_000).count
    }

    static func sendOne(_ store: any KeyportStorage, to deviceID: String) async throws {
        let batch = ToDeviceBatch(
            sender: bob, type: "m.room.encrypted", local: [.init(userID: alice, deviceID: deviceID, content: ["n": 1])],
            remote: [:], transaction: nil)
        _ = try await store.sendToDevice(batch, now: 5_000)
    }

    /// Everything that hangs off a device is gone.
    static func expectGone(_ store: any KeyportStorage, _ deviceID: String) async throws {
        #expect(try await store.device(userID: alice, deviceID: deviceID) == nil)
        #expect(try await store.deviceKeys(userID: alice, deviceID: deviceID) == nil)
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: deviceID) == [:])
        #expect(try await store.claimKeys([claimTarget(alice, deviceID)], now: 9) == [])
        #expect(try await inboxCount(store, deviceID) == 0)
    }

    static func put(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        #expect(try await store.dehydratedDevice(userID: alice) == nil)
        let position = try await store.currentDeviceListPosition()

        let replaced = try await store.putDehydratedDevice(
            keys: keys("DEHY"), deviceData: data, displayName: "Backup", now: 3_000)
        #expect(replaced == nil)
        #expect(
            try await store.dehydratedDevice(userID: alice)
                == DehydratedDeviceRecord(userID: alice, deviceID: "DEHY", deviceData: data))
        #expect(try await store.dehydratedDevice(userID: bob) == nil)

        // An ordinary device row, marked, without a token; its keys as an upload stores them.
        let devices = try await store.devices(userID: alice)
        #expect(devices.map(\.deviceID) == ["DEHY", "PHONE"])
        #expect(devices.map(\.isDehydrated) == [true, false])
        #expect(try await store.device(userID: alice, deviceID: "DEHY")?.isDehydrated == true)
        #expect(try await store.device(userID: alice, deviceID: "DEHY")?.displayName == "Backup")
        #expect(try await store.device(userID: alice, deviceID: "PHONE")?.isDehydrated == false)
        #expect(try await store.deviceKeys(userID: alice, deviceID: "DEHY")?["keys"]?["ed25519:DEHY"] == "ed-DEHY")
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "DEHY") == ["signed_curve25519": 2])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "DEHY") == ["signed_curve25519"])
        #expect(try await store.queryDevices([alice: ["DEHY"]])[alice]?.map(\.deviceID) == ["DEHY"])
        #expect(summary(try await changes(store, after: position)).contains("\(alice) device DEHY"))
    }

    static func replace(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        try await store.putDehydratedDevice(keys: keys("OLD"), deviceData: data, displayName: nil, now: 3_000)
        try await sendOne(store, to: "OLD")
        let position = try await store.currentDeviceListPosition()

        let newData: JSONObject = ["algorithm": "org.matrix.msc3814.v2", "device_pickle": "Q"]
        let replaced = try await store.putDehydratedDevice(
            keys: keys("NEW"), deviceData: newData, displayName: nil, now: 4_000)
        #expect(replaced == "OLD")
        #expect(try await store.dehydratedDevice(userID: alice)?.deviceID == "NEW")
        #expect(try await store.dehydratedDevice(userID: alice)?.deviceData == newData)
        try await expectGone(store, "OLD")
        #expect(try await store.devices(userID: alice).map(\.deviceID) == ["NEW", "PHONE"])
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "NEW") == ["signed_curve25519": 2])
        let recorded = summary(try await changes(store, after: position))
        #expect(recorded.contains("\(alice) device OLD"))
        #expect(recorded.contains("\(alice) device NEW"))
    }

    static func sameID(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        try await store.putDehydratedDevice(keys: keys("DEHY"), deviceData: data, displayName: nil, now: 3_000)
        try await sendOne(store, to: "DEHY")
        _ = try await store.claimKeys([claimTarget(alice, "DEHY")], now: 3_500)

        // A new identity key under the same ID is no identity change: it is a new device.
        var again = keys("DEHY")
        again.deviceKeys = deviceKeys(alice, "DEHY", ed25519: "ed-DEHY-2")
        again.oneTimeKeys = [otk("DEHY-1", content: "other")]
        let replaced = try await store.putDehydratedDevice(keys: again, deviceData: data, displayName: nil, now: 4_000)
        #expect(replaced == "DEHY")
        #expect(try await store.deviceKeys(userID: alice, deviceID: "DEHY")?["keys"]?["ed25519:DEHY"] == "ed-DEHY-2")
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "DEHY") == ["signed_curve25519": 1])
        #expect(try await inboxCount(store, "DEHY") == 0)
        #expect(try await store.devices(userID: alice).filter(\.isDehydrated).map(\.deviceID) == ["DEHY"])
    }

    static func conflict(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        try await store.putDehydratedDevice(keys: keys("DEHY"), deviceData: data, displayName: nil, now: 3_000)
        try await sendOne(store, to: "DEHY")
        let position = try await store.currentDeviceListPosition()

        await #expect(throws: StoreError.self) {
            try await store.putDehydratedDevice(keys: keys("PHONE"), deviceData: data, displayName: nil, now: 4_000)
        }
        // The dehydrated device, its keys and inbox are as they were; PHONE keeps its token.
        #expect(try await store.dehydratedDevice(userID: alice)?.deviceID == "DEHY")
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "DEHY") == ["signed_curve25519": 2])
        #expect(try await inboxCount(store, "DEHY") == 1)
        #expect(try await store.deviceKeys(userID: alice, deviceID: "PHONE") == nil)
        #expect(try await store.device(userID: alice, deviceID: "PHONE")?.isDehydrated == false)
        #expect(try await store.session(tokenHash: "token-\(alice)-PHONE") != nil)
        #expect(try await changes(store, after: position).isEmpty)
    }

    static func unknownUser(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        await #expect(throws: StoreError.notFound) {
            try await store.putDehydratedDevice(keys: keys("DEHY", carol), deviceData: data, displayName: nil, now: 1)
        }
        #expect(try await store.dehydratedDevice(userID: carol) == nil)
        #expect(try await store.devices(userID: carol).isEmpty)
    }

    static func delete(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        #expect(try await store.deleteDehydratedDevice(userID: alice) == nil)
        try await store.putDehydratedDevice(keys: keys("DEHY"), deviceData: data, displayName: nil, now: 3_000)
        try await sendOne(store, to: "DEHY")
        let position = try await store.currentDeviceListPosition()

        #expect(try await store.deleteDehydratedDevice(userID: alice) == "DEHY")
        #expect(try await store.dehydratedDevice(userID: alice) == nil)
        try await expectGone(store, "DEHY")
        #expect(summary(try await changes(store, after: position)) == ["\(alice) device DEHY"])
        #expect(try await store.deleteDehydratedDevice(userID: alice) == nil)
        #expect(try await store.devices(userID: alice).map(\.deviceID) == ["PHONE"])
    }

    static func otherDeletions(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        try await store.putDehydratedDevice(keys: keys("DEHY"), deviceData: data, displayName: nil, now: 3_000)
        #expect(try await store.deleteDevices(userID: alice, deviceIDs: ["DEHY"]) == ["DEHY"])
        #expect(try await store.dehydratedDevice(userID: alice) == nil)
        try await expectGone(store, "DEHY")

        // A put after that is a first one again.
        #expect(
            try await store.putDehydratedDevice(keys: keys("DEHY"), deviceData: data, displayName: nil, now: 4_000)
                == nil)
        #expect(try await store.deactivateAccount(userID: alice))
        #expect(try await store.dehydratedDevice(userID: alice) == nil)
        #expect(try await store.devices(userID: alice).isEmpty)
    }

    static func wildcard(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        try await store.putDehydratedDevice(keys: keys("DEHY"), deviceData: data, displayName: nil, now: 3_000)
        try await sendOne(store, to: "*")
        #expect(try await inboxCount(store, "DEHY") == 1)
        #expect(try await inboxCount(store, "PHONE") == 1)
    }

    static func concurrentPuts(_ makeStore: StoreFactory) async throws {
        let store = try await aliceWithPhone(makeStore)
        // Half of them under one ID: each must replace, never find the other's device in its way.
        let ids = (0..<12).map { $0.isMultiple(of: 2) ? "SAME" : "D\($0)" }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for deviceID in ids {
                group.addTask {
                    try await store.putDehydratedDevice(
                        keys: keys(deviceID), deviceData: data, displayName: nil, now: 3)
                }
            }
            try await group.waitForAll()
        }
        let current = try #require(try await store.dehydratedDevice(userID: alice))
        #expect(try await store.devices(userID: alice).map(\.deviceID) == [current.deviceID, "PHONE"].sorted())
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: current.deviceID) == ["signed_curve25519": 2])
    }
}
