import KeyportStore
import MatrixModel
import Testing

/// `DeviceStore` contracts, except the cascade of `deleteDevices` (see `DeviceDeletionChecks`).
enum DeviceChecks {
    static let all: [StoreCheck] =
        [
            StoreCheck("device: createSession needs an existing user", unknownUser),
            StoreCheck("device: createSession creates a device once", createOnce),
            StoreCheck("device: devices are listed by device ID", listing),
            StoreCheck("device: setDisplayName records a change only when different", displayName),
            StoreCheck("device: touchDevice records last seen without a change", touch),
        ] + DeviceDeletionChecks.all

    static func unknownUser(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        await #expect(throws: StoreError.notFound) {
            try await store.createSession(userID: alice, deviceID: "D", initialDisplayName: nil, tokenHash: "h", now: 1)
        }
        #expect(try await store.session(tokenHash: "h") == nil)
        #expect(try await store.devices(userID: alice) == [])
        #expect(try await store.currentDeviceListPosition() == 0)
    }

    static func createOnce(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        let start = try await store.currentDeviceListPosition()
        try await store.createSession(
            userID: alice, deviceID: "PHONE", initialDisplayName: "Phone", tokenHash: "t1", now: 10)
        let afterFirst = try await store.currentDeviceListPosition()
        let first = try await changes(store, after: start)
        #expect(summary(first) == ["\(alice) device PHONE"])
        #expect(first.allSatisfy { $0.streamID > start && $0.streamID <= afterFirst })

        try await store.createSession(
            userID: alice, deviceID: "PHONE", initialDisplayName: "Renamed?", tokenHash: "t2", now: 20)
        #expect(try await changes(store, after: afterFirst) == [])
        #expect(
            try await store.devices(userID: alice) == [
                DeviceRecord(userID: alice, deviceID: "PHONE", displayName: "Phone")
            ])
        #expect(try await store.session(tokenHash: "t1") == SessionRecord(userID: alice, deviceID: "PHONE"))
        #expect(try await store.session(tokenHash: "t2") == SessionRecord(userID: alice, deviceID: "PHONE"))

        try await store.createSession(
            userID: alice, deviceID: "LAPTOP", initialDisplayName: nil, tokenHash: "t3", now: 30)
        #expect(summary(try await changes(store, after: afterFirst)) == ["\(alice) device LAPTOP"])
    }

    static func listing(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        for deviceID in ["C", "A", "B"] { try await login(store, alice, deviceID, displayName: "name \(deviceID)") }
        try await login(store, bob, "A")
        let devices = try await store.devices(userID: alice)
        #expect(devices.map(\.deviceID) == ["A", "B", "C"])
        #expect(devices.allSatisfy { $0.userID == alice && $0.displayName == "name \($0.deviceID)" })
        #expect(
            try await store.device(userID: alice, deviceID: "B")
                == DeviceRecord(userID: alice, deviceID: "B", displayName: "name B"))
        #expect(
            try await store.device(userID: bob, deviceID: "A")
                == DeviceRecord(userID: bob, deviceID: "A", displayName: nil))
        #expect(try await store.device(userID: bob, deviceID: "B") == nil)
        #expect(try await store.devices(userID: carol) == [])
    }

    static func displayName(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D", displayName: "Old")
        var position = try await store.currentDeviceListPosition()

        #expect(try await store.setDisplayName(userID: alice, deviceID: "NOPE", displayName: "x") == false)
        #expect(try await store.setDisplayName(userID: bob, deviceID: "D", displayName: "x") == false)
        #expect(try await store.setDisplayName(userID: alice, deviceID: "D", displayName: "Old") == true)
        #expect(try await changes(store, after: position) == [])

        #expect(try await store.setDisplayName(userID: alice, deviceID: "D", displayName: "New") == true)
        #expect(summary(try await changes(store, after: position)) == ["\(alice) device D"])
        #expect(try await store.device(userID: alice, deviceID: "D")?.displayName == "New")
        position = try await store.currentDeviceListPosition()

        #expect(try await store.setDisplayName(userID: alice, deviceID: "D", displayName: nil) == true)
        #expect(summary(try await changes(store, after: position)) == ["\(alice) device D"])
        let device = try #require(try await store.device(userID: alice, deviceID: "D"))
        #expect(device.displayName == nil)
        position = try await store.currentDeviceListPosition()
        #expect(try await store.setDisplayName(userID: alice, deviceID: "D", displayName: nil) == true)
        #expect(try await changes(store, after: position) == [])
    }

    static func touch(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        let position = try await store.currentDeviceListPosition()
        try await store.touchDevice(userID: alice, deviceID: "D", ip: "10.0.0.1", now: 5_000)
        let device = try #require(try await store.device(userID: alice, deviceID: "D"))
        #expect(device.lastSeenIP == "10.0.0.1")
        #expect(device.lastSeenTS == 5_000)
        try await store.touchDevice(userID: alice, deviceID: "NOPE", ip: "10.0.0.2", now: 6_000)
        #expect(try await store.device(userID: alice, deviceID: "NOPE") == nil)
        #expect(try await changes(store, after: position) == [])
    }
}
