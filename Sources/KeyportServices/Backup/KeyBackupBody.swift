import KeyportStore
import MatrixModel

/// Reads the bodies and parameters of `/room_keys` requests into store values, checking the
/// spec's types and `KeyBackupLimits`. Everything is checked before anything is stored, so a bad
/// entry refuses the whole upload.
enum KeyBackupBody {
    /// The number of a version as this server writes it (a positive decimal, no leading zero), or
    /// nil for any other text: a version this server never gave out, so "not found".
    static func versionNumber(_ text: String) -> Int64? {
        guard let first = text.utf8.first, first != UInt8(ascii: "0"), text.utf8.count <= 18,
            text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return Int64(text)
    }

    /// The `version` query parameter the key endpoints require (400 `M_MISSING_PARAM` without it).
    static func requiredVersion(_ text: String?) throws(MatrixError) -> String {
        guard let text else { throw .missingParam("Missing string query parameter 'version'") }
        return text
    }

    /// `algorithm` and `auth_data` of a version, both required.
    static func versionInfo(_ body: JSONObject, limits: KeyBackupLimits) throws(MatrixError) -> (
        algorithm: String, authData: JSONObject
    ) {
        let algorithm = try body.requiredString("algorithm")
        try checkIdentifier(algorithm, "algorithm", limits: limits)
        let authData = try body.requiredObject("auth_data")
        guard JSONValue.object(authData).encodedString().utf8.count <= limits.authDataBytes else {
            throw .tooLarge("auth_data is larger than \(limits.authDataBytes) bytes")
        }
        return (algorithm, authData)
    }

    /// The sessions of an upload to `scope`: `{"rooms": {room: {"sessions": {…}}}}` for all rooms,
    /// `{"sessions": {…}}` for one room, the key itself for one session.
    static func sessions(_ body: JSONObject, scope: KeyBackupScope, limits: KeyBackupLimits) throws(MatrixError)
        -> [KeyBackupSession]
    {
        var sessions: [KeyBackupSession] = []
        switch scope {
        case .all:
            let rooms = try body.requiredObject("rooms")
            for (roomID, room) in rooms {
                guard let room = room.objectValue else { throw .badJSON("rooms.\(roomID) must be an object") }
                try append(try room.requiredObject("sessions"), roomID: roomID, to: &sessions, limits: limits)
            }
        case .room(let roomID):
            try append(try body.requiredObject("sessions"), roomID: roomID, to: &sessions, limits: limits)
        case .session(let roomID, let sessionID):
            try append([sessionID: .object(body)], roomID: roomID, to: &sessions, limits: limits)
        }
        return sessions
    }

    private static func append(
        _ room: JSONObject, roomID: String, to sessions: inout [KeyBackupSession], limits: KeyBackupLimits
    ) throws(MatrixError) {
        guard sessions.count + room.count <= limits.sessionsPerUpload else {
            throw .tooLarge("An upload may hold at most \(limits.sessionsPerUpload) sessions; send them in batches")
        }
        try checkIdentifier(roomID, "room ID", limits: limits)
        for (sessionID, value) in room {
            try checkIdentifier(sessionID, "session ID", limits: limits)
            guard let object = value.objectValue else {
                throw .badJSON("The key of session \(sessionID) in room \(roomID) must be an object")
            }
            let data = try keyData(object, limits: limits, in: "session \(sessionID) in room \(roomID)")
            sessions.append(KeyBackupSession(roomID: roomID, sessionID: sessionID, data: data))
        }
    }

    /// A `KeyBackupData`: two counts that are not negative, a boolean and an object.
    private static func keyData(_ object: JSONObject, limits: KeyBackupLimits, in place: String) throws(MatrixError)
        -> KeyBackupData
    {
        func count(_ field: String) throws(MatrixError) -> Int64 {
            guard let value = object[field] else { throw .badJSON("Missing field '\(field)' for \(place)") }
            guard let count = value.intValue else { throw .badJSON("'\(field)' must be an integer for \(place)") }
            guard count >= 0 else { throw .invalidParam("'\(field)' must not be negative for \(place)") }
            return count
        }
        let firstMessageIndex = try count("first_message_index")
        let forwardedCount = try count("forwarded_count")
        guard let verified = object["is_verified"] else { throw .badJSON("Missing field 'is_verified' for \(place)") }
        // Synapse answers M_INVALID_PARAM for a verified flag that is not a boolean.
        guard let isVerified = verified.boolValue else {
            throw .invalidParam("is_verified must be a boolean for \(place)")
        }
        guard let sessionValue = object["session_data"] else {
            throw .badJSON("Missing field 'session_data' for \(place)")
        }
        guard let sessionData = sessionValue.objectValue else {
            throw .badJSON("'session_data' must be an object for \(place)")
        }
        guard sessionValue.encodedString().utf8.count <= limits.sessionDataBytes else {
            throw .tooLarge("session_data is larger than \(limits.sessionDataBytes) bytes for \(place)")
        }
        return KeyBackupData(
            firstMessageIndex: firstMessageIndex, forwardedCount: forwardedCount, isVerified: isVerified,
            sessionData: sessionData)
    }

    private static func checkIdentifier(_ text: String, _ name: String, limits: KeyBackupLimits) throws(MatrixError) {
        guard !text.isEmpty, text.utf8.count <= limits.identifierBytes else {
            throw .invalidParam("The \(name) must be 1 to \(limits.identifierBytes) bytes long")
        }
    }
}
