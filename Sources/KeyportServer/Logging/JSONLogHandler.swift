import Foundation
public import Logging
import MatrixModel

/// `log_format: json`: one JSON object per line with the fields the text format shows —
/// `timestamp` (UTC, milliseconds), `level`, `label`, `source`, `message` and `metadata` (the
/// logger's, the provider's and the call's, merged in that order) — for log collectors that parse
/// lines instead of reading them.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level = .info
    let label: String
    let write: @Sendable ([UInt8]) -> Void

    /// A handler writing to standard error, where the text format writes.
    public static func standardError(label: String) -> JSONLogHandler {
        JSONLogHandler(label: label) { bytes in FileHandle.standardError.write(Data(bytes)) }
    }

    /// A handler giving each line, newline included, to `write`.
    public init(label: String, write: @escaping @Sendable ([UInt8]) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var object: JSONObject = [
            "timestamp": .string(Self.timestamp()), "level": .string(event.level.rawValue), "label": .string(label),
            "source": .string(event.source), "message": .string(event.message.description),
        ]
        if !merged.isEmpty { object["metadata"] = Self.json(merged) }
        write(JSONWriter.bytes(.object(object)) + [UInt8(ascii: "\n")])
    }

    static func json(_ metadata: Logger.Metadata) -> JSONValue {
        var object: JSONObject = [:]
        for (key, value) in metadata { object[key] = json(value) }
        return .object(object)
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .dictionary(let dictionary): json(dictionary)
        case .array(let values): .array(values.map(json))
        }
    }

    /// `2026-12-06T23:59:08.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + "\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}
