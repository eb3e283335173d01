/// How long a `.well-known/matrix/server` answer is cached, as Synapse does it.
///
/// A valid answer is kept for the lifetime its response headers give (`Cache-Control: no-store`
/// means none, then `max-age`, then `Expires`), held between 5 minutes and 48 hours, or 24
/// hours when the headers say nothing. Failures and invalid answers are kept for one hour.
package enum WellKnownCachePolicy {
    static let defaultLifetime: Duration = .seconds(24 * 3600)
    package static let minimumLifetime: Duration = .seconds(5 * 60)
    package static let maximumLifetime: Duration = .seconds(48 * 3600)
    static let failureLifetime: Duration = .seconds(3600)

    /// The cache lifetime of a valid answer with these header values.
    /// - Parameter now: the current time in seconds since 1970, to compare `Expires` with.
    package static func lifetime(cacheControl: [String], expires: [String], now: Int64) -> Duration {
        guard let seconds = explicitLifetime(cacheControl: cacheControl, expires: expires, now: now) else {
            return defaultLifetime
        }
        return min(max(.seconds(seconds), minimumLifetime), maximumLifetime)
    }

    /// The lifetime in seconds that the headers ask for, or nil when they do not say.
    package static func explicitLifetime(cacheControl: [String], expires: [String], now: Int64) -> Int64? {
        let directives = cacheControl.flatMap { $0.split(separator: ",") }.map {
            $0.stripping(" \t").lowercased()
        }
        if directives.contains("no-store") { return 0 }
        for directive in directives where directive.hasPrefix("max-age=") {
            let value = directive.dropFirst("max-age=".count).stripping("\"")
            if let seconds = Int64(value), seconds >= 0 { return seconds }
        }
        guard let expiry = expires.last else { return nil }
        // RFC 9111 §5.3: an invalid date means "already expired".
        guard let date = httpDate(expiry) else { return 0 }
        return max(0, date - now)
    }

    /// Seconds since 1970 for an IMF-fixdate such as `Sun, 06 Nov 1994 08:49:37 GMT`, or nil.
    package static func httpDate(_ text: String) -> Int64? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, fields[0].hasSuffix(","), fields[5] == "GMT",
            let day = Int64(fields[1]), (1...31).contains(day),
            let monthIndex = months.firstIndex(of: String(fields[2])),
            let year = Int64(fields[3]), fields[3].count == 4
        else { return nil }
        let clock = fields[4].split(separator: ":", omittingEmptySubsequences: false).compactMap { Int64($0) }
        guard clock.count == 3, clock[0] < 24, clock[1] < 60, clock[2] <= 60 else { return nil }
        let days = daysSince1970(year: year, month: Int64(monthIndex) + 1, day: day)
        return days * 86_400 + clock[0] * 3600 + clock[1] * 60 + clock[2]
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Days from 1970-01-01 to a date in the proleptic Gregorian calendar.
    private static func daysSince1970(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension StringProtocol {
    /// The text without the given characters at either end.
    fileprivate func stripping(_ characters: String) -> String {
        var text = Substring(self)
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return String(text)
    }
}
