import MatrixModel
import Testing

/// A to-device message for a remote device travels in an EDU that must stay under 64 KiB with its
/// envelope: one that cannot fit is refused at `/sendToDevice` (413 `M_TOO_LARGE`, as Synapse
/// refuses oversized to-device messages) instead of being queued to fail forever.
@Suite struct RemoteToDeviceSizeTests {
    @Test func aRemoteMessageThatCannotFitAnEDUIs413() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            // Under the 64 KiB content limit, but not with the EDU's envelope around it.
            let content: JSONValue = ["data": .string(String(repeating: "x", count: 65_400))]
            let remote = try await ToDeviceTests.send(
                client, from: alice, txn: "r1", messages: ["@carol:remote.example": .object(["CAROLDEVICE": content])])
            #expect(remote.status == 413)
            #expect(remote.errcode == "M_TOO_LARGE")
            // The same message to a local device has no envelope to fit: the content limit alone applies.
            let local = try await ToDeviceTests.send(
                client, from: alice, txn: "l1", messages: [bob.userID: .object([bob.deviceID: content])])
            #expect(local.status == 200)
            // A remote message that fits is queued.
            let small = try await ToDeviceTests.send(
                client, from: alice, txn: "r2",
                messages: [
                    "@carol:remote.example": .object([
                        "CAROLDEVICE": ["data": .string(String(repeating: "x", count: 60_000))]
                    ])
                ])
            #expect(small.status == 200)
        }
    }
}
