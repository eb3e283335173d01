/// The text of progress lines: counts with thousands separators, items per second, and
/// durations as `0.4s`, `42s`, `3m 05s` or `1h 02m`.
enum ProgressLine {
    /// `Copying rows: 1,234 of 10,000 (12%), 2,345/s, 3.7s left (accounts)`.
    static func progress(title: String, done: Int, total: Int?, elapsed: Duration, item: String?) -> String {
        var line = "\(title): \(count(done))"
        if let total { line += " of \(count(total)) (\(percent(done, of: total))%)" }
        let seconds = elapsed.seconds
        if seconds > 0, done > 0 {
            let rate = Double(done) / seconds
            line += ", \(perSecond(rate))"
            if let total, total > done {
                line += ", \(duration(Double(total - done) / rate)) left"
            }
        }
        if let item { line += " (\(item))" }
        return line
    }

    /// `Copying rows: 10,000 in 4.3s (2,325/s)`.
    static func summary(title: String, done: Int, elapsed: Duration) -> String {
        let seconds = elapsed.seconds
        var line = "\(title): \(count(done)) in \(duration(seconds))"
        if seconds > 0 { line += " (\(perSecond(Double(done) / seconds)))" }
        return line
    }

    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// `2,345/s`; below ten, with a tenth: `0.2/s`.
    static func perSecond(_ rate: Double) -> String {
        rate < 9.95 ? "\(tenths(rate))/s" : "\(count(Int(rate)))/s"
    }

    static func percent(_ done: Int, of total: Int) -> Int {
        total > 0 ? min(100, done * 100 / total) : 100
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 9.95 { return "\(tenths(seconds))s" }
        let whole = Int(seconds.rounded(.up))
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m \(twoDigits(whole % 60))s" }
        return "\(whole / 3600)h \(twoDigits(whole / 60 % 60))m"
    }

    private static func tenths(_ value: Double) -> String {
        "\(Double(Int((value * 10).rounded())) / 10)"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
