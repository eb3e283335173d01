import Crypto
public import MatrixModel

/// Content hashes, reference hashes and the IDs made from them
/// (https://spec.matrix.org/latest/server-server-api/#calculating-the-content-hash-for-an-event and
/// #calculating-the-reference-hash-for-an-event).
public enum EventHashes {
    /// SHA-256 of the canonical event without `unsigned`, `signatures` and `hashes`: the value of
    /// `hashes.sha256`, unpadded base64.
    public static func contentHash(of event: JSONObject) throws(JSONWriter.CanonicalError) -> String {
        var stripped = event
        stripped["unsigned"] = nil
        stripped["signatures"] = nil
        stripped["hashes"] = nil
        return Base64Unpadded.encode(SHA256.hash(data: try JSONWriter.canonicalBytes(.object(stripped))))
    }

    /// Whether `hashes.sha256` is present and equals the content hash. A mismatch means the event
    /// was altered (or redacted) on its way: servers keep only its redacted form.
    public static func contentHashMatches(_ event: JSONObject) -> Bool {
        guard let claimed = event["hashes"]?["sha256"]?.stringValue,
            let computed = try? contentHash(of: event)
        else { return false }
        return claimed == computed
    }

    /// SHA-256 of the canonical redacted event without `signatures`, `unsigned` and `age_ts`.
    public static func referenceHash(
        of event: JSONObject, rules: RoomVersion.RedactionRules
    ) throws(JSONWriter.CanonicalError) -> [UInt8] {
        var redacted = Redaction.redact(event, rules: rules)
        redacted["signatures"] = nil
        redacted["unsigned"] = nil
        redacted["age_ts"] = nil
        return Array(SHA256.hash(data: try JSONWriter.canonicalBytes(.object(redacted))))
    }

    /// The event ID of rooms v4 and later: `$` + the reference hash in URL-safe unpadded base64.
    public static func eventID(of event: JSONObject, version: RoomVersion) throws(JSONWriter.CanonicalError) -> String {
        "$" + urlSafe(try referenceHash(of: event, rules: version.redactionRules))
    }

    /// The room ID a v12 create event makes (MSC4291): its event ID with `!` for `$`.
    public static func roomID(forCreateEventID eventID: String) -> String {
        "!" + eventID.dropFirst()
    }

    /// URL-safe unpadded base64 (`-` and `_` for `+` and `/`).
    static func urlSafe(_ bytes: [UInt8]) -> String {
        String(
            Base64Unpadded.encode(bytes).map { character -> Character in
                switch character {
                case "+": "-"
                case "/": "_"
                default: character
                }
            })
    }
}
