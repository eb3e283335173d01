import MatrixModel

/// Rule 10: what an `m.room.power_levels` event may contain and change.
enum PowerLevelsRules {
    static let namedLevels = ["users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"]

    static func check(_ event: PDU, previous: PDU?, create: PDU, senderLevel: Int64) -> AuthDecision {
        let content = event.content
        // 10.1
        for name in namedLevels {
            if let value = content[name], value.intValue == nil {
                return .rejected("'\(name)' is not an integer")
            }
        }
        // 10.2, 10.3
        for name in ["events", "notifications", "users"] {
            guard let value = content[name] else { continue }
            guard let map = value.objectValue, map.values.allSatisfy({ $0.intValue != nil }) else {
                return .rejected("'\(name)' is not an object of integers")
            }
            if name == "users", !map.keys.allSatisfy({ UserID($0) != nil }) {
                return .rejected("'users' has a key that is not a user ID")
            }
        }
        // 10.4 (v12): creators are not listed.
        if event.roomVersion.creatorsHaveInfinitePower, let users = content["users"]?.objectValue {
            if let creator = Creators.of(create).first(where: { users[$0] != nil }) {
                return .rejected("the creator \(creator) may not be listed in 'users'")
            }
        }
        // 10.5
        guard let previous else { return .allowed }
        let old = previous.content
        // 10.6
        for name in namedLevels {
            let before = old[name]?.intValue
            let after = content[name]?.intValue
            if before == after { continue }
            if let before, before > senderLevel {
                return .rejected("'\(name)' was \(before), above the sender's \(senderLevel)")
            }
            if let after, after > senderLevel {
                return .rejected("'\(name)' would be \(after), above the sender's \(senderLevel)")
            }
        }
        // 10.7, 10.8
        for name in ["events", "notifications"] {
            let before = old[name]?.objectValue ?? [:]
            let after = content[name]?.objectValue ?? [:]
            for key in Set(before.keys).union(after.keys) {
                let was = before[key]?.intValue
                let will = after[key]?.intValue
                if was == will { continue }
                if let was, was > senderLevel {
                    return .rejected("\(name).\(key) was \(was), above the sender's \(senderLevel)")
                }
                if let will, will > senderLevel {
                    return .rejected("\(name).\(key) would be \(will), above the sender's \(senderLevel)")
                }
            }
        }
        // 10.9, 10.10
        let before = old["users"]?.objectValue ?? [:]
        let after = content["users"]?.objectValue ?? [:]
        for user in Set(before.keys).union(after.keys) {
            let was = before[user]?.intValue
            let will = after[user]?.intValue
            if was == will { continue }
            if let was, user != event.sender, was >= senderLevel {
                return .rejected("\(user)'s level \(was) is not below the sender's \(senderLevel)")
            }
            if let was, was > senderLevel {
                return .rejected("\(user)'s level was \(was), above the sender's \(senderLevel)")
            }
            if let will, will > senderLevel {
                return .rejected("\(user)'s level would be \(will), above the sender's \(senderLevel)")
            }
        }
        return .allowed
    }
}
