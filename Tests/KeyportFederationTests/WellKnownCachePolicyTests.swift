import Testing

@testable import KeyportFederation

@Suite struct WellKnownCachePolicyTests {
    private let now: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test func httpDates() {
        #expect(WellKnownCachePolicy.httpDate("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(WellKnownCachePolicy.httpDate("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(WellKnownCachePolicy.httpDate("Tue, 29 Feb 2028 23:59:59 GMT") == 1_835_481_599)
        #expect(WellKnownCachePolicy.httpDate("0") == nil)
        #expect(WellKnownCachePolicy.httpDate("Sunday, 06-Nov-94 08:49:37 GMT") == nil)
        #expect(WellKnownCachePolicy.httpDate("Sun, 06 Foo 1994 08:49:37 GMT") == nil)
    }

    @Test func lifetimes() {
        func lifetime(_ cacheControl: [String] = [], _ expires: [String] = []) -> Duration {
            WellKnownCachePolicy.lifetime(cacheControl: cacheControl, expires: expires, now: now)
        }
        #expect(lifetime() == .seconds(86_400))
        #expect(lifetime(["max-age=3600"]) == .seconds(3600))
        #expect(lifetime(["public", "MAX-AGE=\"7200\""]) == .seconds(7200))
        #expect(lifetime(["max-age=60"]) == .seconds(300))
        #expect(lifetime(["max-age=999999999"]) == .seconds(172_800))
        #expect(lifetime(["max-age=3600, no-store"]) == .seconds(300))
        #expect(lifetime(["max-age=soon"], ["Sun, 06 Nov 1994 10:49:37 GMT"]) == .seconds(7200))
        #expect(lifetime([], ["Sun, 06 Nov 1994 10:49:37 GMT"]) == .seconds(7200))
        #expect(lifetime([], ["0"]) == .seconds(300))
        #expect(lifetime([], ["Sat, 05 Nov 1994 10:49:37 GMT"]) == .seconds(300))
    }
}
