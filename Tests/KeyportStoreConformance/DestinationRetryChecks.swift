import KeyportStore
import Testing

/// `DestinationRetryStore`: backoff state every process reads and resets.
enum DestinationRetryChecks {
    static let all: [StoreCheck] = [
        StoreCheck("destination retry: recorded, replaced, listed by name, cleared once") { makeStore in
            let store = try await makeStore()
            #expect(try await store.destinationRetries().isEmpty)
            let first = DestinationRetry(
                destination: "b.example", failureTS: 10, retryLastTS: 10, retryInterval: 600_000, failures: 1)
            try await store.setDestinationRetry(first)
            try await store.setDestinationRetry(
                DestinationRetry(destination: "a.example", failureTS: 5, retryLastTS: 5, retryInterval: 1, failures: 1))
            var second = first
            second.retryLastTS = 700_000
            second.retryInterval = 1_200_000
            second.failures = 2
            try await store.setDestinationRetry(second)
            #expect(try await store.destinationRetries().map(\.destination) == ["a.example", "b.example"])
            #expect(try await store.destinationRetries().last == second)
            #expect(try await store.destinationRetries().last?.retryAt == 1_900_000)
            #expect(try await store.clearDestinationRetry("b.example"))
            #expect(try await !store.clearDestinationRetry("b.example"), "nothing left to clear")
            #expect(try await store.destinationRetries().map(\.destination) == ["a.example"])
        }
    ]
}
