import KeyportFederation
import KeyportServer
import KeyportServices
import MatrixModel

/// The YAML configuration reader reports errors instead of crashing, and what it accepts is usable.
///
/// An accepted configuration has a valid server name, at least one listener on a port in
/// 0...65535, a known log level, a positive request size limit, rate limits with
/// `per_second >= 0` and `burst_count >= 1`, and non-negative durations.
enum ConfigCheck {
    private static let logLevels: Set<String> = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        let text = String(decoding: input, as: UTF8.self)
        guard let (config, _) = try? KeyportConfig.parse(yaml: text) else { return false }
        try invariant(ServerName(config.serverName.rawValue) != nil, "invalid server name \(config.serverName)")
        try invariant(!config.listeners.isEmpty, "no listeners")
        for listener in config.listeners {
            try invariant((0...65535).contains(listener.port), "listener port \(listener.port)")
            try invariant(!listener.bindAddresses.isEmpty, "a listener without addresses")
        }
        try invariant(logLevels.contains(config.logLevel), "log level \(config.logLevel)")
        try invariant(config.maxRequestSize > 0, "max_request_size \(config.maxRequestSize)")
        try invariant(config.passwordRounds >= 1, "pbkdf2_rounds \(config.passwordRounds)")
        for limit in [config.loginRateLimit, config.registrationRateLimit, config.keyClaimRateLimit] {
            try invariant(limit.perSecond >= 0 && limit.burst >= 1, "rate limit \(limit)")
        }
        let retry = config.federationRetry
        try invariant(retry.multiplier >= 1, "retry multiplier \(retry.multiplier)")
        for duration in [config.keyRefreshInterval, retry.minimum, retry.maximum] {
            try invariant(duration >= .zero, "a negative duration \(duration)")
        }
        return true
    }
}
