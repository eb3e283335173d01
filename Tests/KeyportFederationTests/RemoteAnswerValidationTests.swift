import KeyportStore
import MatrixModel
import Testing

@testable import KeyportFederation

/// What another server answers is checked before it is cached or handed to a client.
@Suite struct RemoteAnswerValidationTests {
    private func deviceList(_ count: Int) -> JSONObject {
        [
            "user_id": "@bob:remote.test", "stream_id": 3,
            "devices": .array((0..<count).map { .object(["device_id": .string("D\($0)")]) }),
        ]
    }

    @Test func aDeviceListOfMoreThanAThousandDevicesIsRefused() throws {
        let full = try RemoteDeviceListService.parseDeviceList(deviceList(1000), userID: "@bob:remote.test")
        #expect(full.devices.count == 1000)
        #expect(throws: FederationError.self) {
            try RemoteDeviceListService.parseDeviceList(deviceList(1001), userID: "@bob:remote.test")
        }
        #expect(throws: FederationError.self) {
            try RemoteDeviceListService.parseDeviceList(deviceList(1), userID: "@carol:remote.test")
        }
    }

    private func signedKey(_ user: String, _ device: String, key: String = "K") -> JSONValue {
        ["key": .string(key), "signatures": .object([user: .object(["ed25519:\(device)": "sig"])])]
    }

    @Test func claimAnswersKeepOnlyWhatWasAskedInTheRightShape() {
        let bob = "@bob:remote.test"
        let asked = [
            ClaimTarget(userID: bob, deviceID: "GOOD", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "FALLBACK", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "TWO", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "OTHERALG", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "UNSIGNED", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "WRONGSIGNER", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "NOTOBJECT", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "BADFALLBACK", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "NOKEYID", algorithm: "signed_curve25519"),
            ClaimTarget(userID: bob, deviceID: "PLAIN", algorithm: "curve25519"),
            ClaimTarget(userID: "@eve:elsewhere.test", deviceID: "E", algorithm: "signed_curve25519"),
        ]
        var fallback = signedKey(bob, "FALLBACK").objectValue ?? [:]
        fallback["fallback"] = true
        var badFallback = signedKey(bob, "BADFALLBACK").objectValue ?? [:]
        badFallback["fallback"] = "yes"
        let answer: JSONObject = [
            "one_time_keys": [
                bob: [
                    "GOOD": ["signed_curve25519:AAAA": signedKey(bob, "GOOD")],
                    "FALLBACK": ["signed_curve25519:BBBB": .object(fallback)],
                    "TWO": [
                        "signed_curve25519:1": signedKey(bob, "TWO"), "signed_curve25519:2": signedKey(bob, "TWO"),
                    ],
                    "OTHERALG": ["curve25519:CCCC": "plainkey"],
                    "UNSIGNED": ["signed_curve25519:DDDD": ["key": "K"]],
                    "WRONGSIGNER": ["signed_curve25519:EEEE": signedKey(bob, "SOMEONEELSE")],
                    "NOTOBJECT": "signed_curve25519:FFFF",
                    "BADFALLBACK": ["signed_curve25519:GGGG": .object(badFallback)],
                    "NOKEYID": ["signed_curve25519:": signedKey(bob, "NOKEYID")],
                    "PLAIN": ["curve25519:HHHH": "plainkey"],
                    "UNASKED": ["signed_curve25519:IIII": signedKey(bob, "UNASKED")],
                ],
                "@carol:remote.test": ["C": ["signed_curve25519:JJJJ": signedKey("@carol:remote.test", "C")]],
                "@eve:elsewhere.test": ["E": ["signed_curve25519:KKKK": signedKey("@eve:elsewhere.test", "E")]],
            ]
        ]
        let kept = RemoteKeyValidation.claimedKeys(answer, asked: asked, server: "remote.test")
        #expect(Set(kept.map { $0.key }) == [bob])
        let devices = kept[bob]?.objectValue ?? [:]
        #expect(Set(devices.map { $0.key }) == ["GOOD", "FALLBACK", "PLAIN"])
        #expect(devices["GOOD"] == ["signed_curve25519:AAAA": signedKey(bob, "GOOD")])
        #expect(devices["PLAIN"] == ["curve25519:HHHH": "plainkey"])
    }
}
