import KeyportStore
import MatrixModel
import Testing

/// `AccountDataStore`: pieces replaced by type and room, and a stream that sends each once.
enum AccountDataChecks {
    static let all: [StoreCheck] = [
        StoreCheck("account data: global and per room, replaced, read back exactly") { makeStore in
            let store = try await makeStore()
            #expect(try await store.accountData(userID: alice, roomID: nil, type: "m.direct") == nil)
            let content: JSONObject = ["encrypted": ["key": ["iv": "x", "ciphertext": "y", "mac": "z"]], "n": 2]
            let first = try await store.setAccountData(
                userID: alice, roomID: nil, type: "m.cross_signing.master", content: content)
            try await store.setAccountData(userID: alice, roomID: "!r:example.com", type: "m.tag", content: ["a": 1])
            try await store.setAccountData(userID: bob, roomID: nil, type: "m.cross_signing.master", content: [:])
            #expect(try await store.accountData(userID: alice, roomID: nil, type: "m.cross_signing.master") == content)
            #expect(try await store.accountData(userID: alice, roomID: "!r:example.com", type: "m.tag") == ["a": 1])
            #expect(
                try await store.accountData(userID: alice, roomID: "!r:example.com", type: "m.cross_signing.master")
                    == nil, "room and global pieces are apart")
            let head = try await store.currentAccountDataPosition()
            #expect(head > first)
            let all = try await store.accountDataChanges(userID: alice, after: 0, upTo: head)
            #expect(all.map(\.type) == ["m.cross_signing.master", "m.tag"])
            #expect(all.map(\.roomID) == [nil, "!r:example.com"])
            // Rewriting the oldest piece moves it past the others: a later sync sends just it.
            try await store.setAccountData(
                userID: alice, roomID: nil, type: "m.cross_signing.master", content: ["v": 2])
            let newer = try await store.currentAccountDataPosition()
            #expect(newer > head)
            let since = try await store.accountDataChanges(userID: alice, after: head, upTo: newer)
            #expect(since.map(\.content) == [["v": 2]])
            #expect(try await store.accountDataChanges(userID: alice, after: newer, upTo: newer).isEmpty)
        }
    ]
}
