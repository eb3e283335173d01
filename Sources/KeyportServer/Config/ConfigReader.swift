import KeyportServices
import MatrixModel

/// Typed access to one mapping of the YAML file, with errors that name the key.
struct ConfigReader {
    let map: JSONObject
    let path: String

    private func value(_ key: String) -> JSONValue? {
        guard let value = map[key], !value.isNull else { return nil }
        return value
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let string = try string(key) else { throw ConfigError("\(path)\(key) is required") }
        return string
    }

    func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = value(key) else { return nil }
        switch value {
        case .string(let string): return string
        case .int(let integer): return String(integer)
        default: throw ConfigError("\(path)\(key) must be a string")
        }
    }

    func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.boolValue else { throw ConfigError("\(path)\(key) must be true or false") }
        return flag
    }

    func int(_ key: String) throws(ConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let integer = value.intValue else { throw ConfigError("\(path)\(key) must be an integer") }
        return Int(integer)
    }

    func number(_ key: String) throws(ConfigError) -> Double? {
        guard let value = value(key) else { return nil }
        switch value {
        case .int(let integer): return Double(integer)
        case .double(let double): return double
        default: throw ConfigError("\(path)\(key) must be a number")
        }
    }

    func array(_ key: String) throws(ConfigError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard let array = value.arrayValue else { throw ConfigError("\(path)\(key) must be a list") }
        return array
    }

    func stringArray(_ key: String) throws(ConfigError) -> [String]? {
        guard let array = try array(key) else { return nil }
        var strings: [String] = []
        for element in array {
            guard let string = element.stringValue else { throw ConfigError("\(path)\(key) must be a list of strings") }
            strings.append(string)
        }
        return strings
    }

    func object(_ key: String) throws(ConfigError) -> ConfigReader? {
        guard let value = value(key) else { return nil }
        guard let object = value.objectValue else { throw ConfigError("\(path)\(key) must be a mapping") }
        return ConfigReader(map: object, path: "\(path)\(key).")
    }

    /// A size in bytes: an integer, or a string like `"512K"`, `"1M"`, `"2G"`.
    func size(_ key: String) throws(ConfigError) -> Int? {
        guard let value = value(key) else { return nil }
        if let integer = value.intValue, integer > 0 { return Int(integer) }
        guard let text = value.stringValue, let last = text.last else {
            throw ConfigError("\(path)\(key) must be a size such as 1048576 or \"1M\"")
        }
        let multipliers: [Character: Int] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024]
        let multiplier = multipliers[Character(last.uppercased())]
        let digits = multiplier == nil ? Substring(text) : text.dropLast()
        guard let number = Int(digits), number > 0 else {
            throw ConfigError("\(path)\(key) must be a size such as 1048576 or \"1M\"")
        }
        let (size, overflow) = number.multipliedReportingOverflow(by: multiplier ?? 1)
        guard !overflow else { throw ConfigError("\(path)\(key) is too large") }
        return size
    }

    /// `{per_second, burst_count}` as Synapse writes rate limits.
    /// A duration as Synapse writes one: an integer of milliseconds, or a number with a unit
    /// (`ms`, `s`, `m`, `h`, `d`, `w`, `y`).
    func duration(_ key: String) throws(ConfigError) -> Duration? {
        guard let value = map[key] else { return nil }
        if let milliseconds = value.intValue, milliseconds >= 0 { return .milliseconds(milliseconds) }
        let units: [(String, Int64)] = [
            ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000),
            ("y", 31_536_000_000),
        ]
        if let text = value.stringValue {
            for (suffix, factor) in units where text.hasSuffix(suffix) {
                if let number = Int64(text.dropLast(suffix.count)), number >= 0 {
                    let (milliseconds, overflow) = number.multipliedReportingOverflow(by: factor)
                    guard !overflow else { throw ConfigError("\(path)\(key) is too long") }
                    return .milliseconds(milliseconds)
                }
            }
        }
        throw ConfigError("\(path)\(key) must be a duration such as 500ms, 10s, 5m, 1h or 7d")
    }

    func rateLimit(_ key: String) throws(ConfigError) -> RateLimit? {
        guard let object = try object(key) else { return nil }
        let perSecond = try object.number("per_second") ?? 1
        let burst = try object.number("burst_count") ?? 1
        guard perSecond >= 0, burst >= 1 else {
            throw ConfigError("\(path)\(key) needs per_second >= 0 and burst_count >= 1")
        }
        return RateLimit(perSecond: perSecond, burst: burst)
    }
}
