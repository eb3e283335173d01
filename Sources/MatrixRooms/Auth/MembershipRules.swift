import MatrixModel
import MatrixSigning

/// Rule 5: `m.room.member` events. The order of checks follows the spec; where Synapse checks in
/// another order the outcome is the same.
enum MembershipRules {
    static func check(_ event: PDU, state: [StateKey: PDU], levels: PowerLevels) -> AuthDecision {
        // 5.1
        guard let target = event.stateKey, let membership = event.content["membership"]?.stringValue else {
            return .rejected("a member event needs a state_key and a string content.membership")
        }
        // 5.2 is a signature check: the authorising server's signature is required on receipt
        // (PDUSigning.requiredSigners). Here it must at least be present.
        if let authoriser = event.content["join_authorised_via_users_server"] {
            guard let user = authoriser.stringValue.flatMap(UserID.init),
                event.object["signatures"]?[user.serverName.rawValue]?.objectValue?.isEmpty == false
            else { return .rejected("join_authorised_via_users_server's server did not sign the event") }
        }
        // Rule 4 names the sender's server; Synapse also refuses a membership change whose target
        // is on another server than the creator's in a room closed to federation. Keyport does
        // the same, so both judge such a room alike.
        if let create = state[.create], create.content["m.federate"] == .bool(false),
            UserID(target)?.serverName.rawValue != create.senderServer
        {
            return .rejected("the room is not federated and \(target) is on another server")
        }
        let senderMembership = state[.member(event.sender)]?.membership ?? "leave"
        let targetMembership = state[.member(target)]?.membership ?? "leave"
        let joinRule = state[.joinRules]?.content["join_rule"]?.stringValue ?? "invite"
        let senderLevel = levels.level(of: event.sender)

        switch membership {
        case "join":
            // 5.3.1: the creator's own first join, straight after the create event.
            if event.prevEvents.count == 1, let create = state[.create], event.prevEvents[0] == create.eventID,
                firstCreator(create) == target
            {
                return .allowed
            }
            if event.sender != target { return .rejected("a user can only join themselves") }
            if senderMembership == "ban" { return .rejected("\(target) is banned") }
            switch joinRule {
            case "invite", "knock":
                return ["invite", "join"].contains(senderMembership)
                    ? .allowed : .rejected("the room is \(joinRule)-only and \(target) is not invited")
            case "restricted", "knock_restricted":
                if ["invite", "join"].contains(senderMembership) { return .allowed }
                guard let authoriser = event.content["join_authorised_via_users_server"]?.stringValue else {
                    return .rejected("a restricted join needs join_authorised_via_users_server")
                }
                guard state[.member(authoriser)]?.membership == "join" else {
                    return .rejected("the authorising user \(authoriser) is not joined")
                }
                return levels.level(of: authoriser) >= levels.invite
                    ? .allowed : .rejected("the authorising user \(authoriser) may not invite")
            case "public":
                return .allowed
            default:
                return .rejected("join rule '\(joinRule)' admits no one")
            }
        case "invite":
            if event.content["third_party_invite"] != nil {
                if targetMembership == "ban" { return .rejected("\(target) is banned") }
                return ThirdPartyInviteRules.check(event, target: target, state: state)
            }
            if senderMembership != "join" { return .rejected("\(event.sender) is not joined") }
            if ["join", "ban"].contains(targetMembership) {
                return .rejected("\(target) is already \(targetMembership == "join" ? "joined" : "banned")")
            }
            return senderLevel >= levels.invite
                ? .allowed : .rejected("\(event.sender) may not invite (level \(senderLevel) < \(levels.invite))")
        case "leave":
            if event.sender == target {
                return ["invite", "join", "knock"].contains(senderMembership)
                    ? .allowed : .rejected("\(target) cannot leave from membership '\(senderMembership)'")
            }
            if senderMembership != "join" { return .rejected("\(event.sender) is not joined") }
            if targetMembership == "ban", senderLevel < levels.ban {
                return .rejected("\(event.sender) may not unban (level \(senderLevel) < \(levels.ban))")
            }
            return senderLevel >= levels.kick && levels.level(of: target) < senderLevel
                ? .allowed : .rejected("\(event.sender) may not kick \(target)")
        case "ban":
            if senderMembership != "join" { return .rejected("\(event.sender) is not joined") }
            return senderLevel >= levels.ban && levels.level(of: target) < senderLevel
                ? .allowed : .rejected("\(event.sender) may not ban \(target)")
        case "knock":
            guard ["knock", "knock_restricted"].contains(joinRule) else {
                return .rejected("join rule '\(joinRule)' does not allow knocking")
            }
            if event.sender != target { return .rejected("a user can only knock for themselves") }
            return ["ban", "invite", "join"].contains(senderMembership)
                ? .rejected("\(target) cannot knock from membership '\(senderMembership)'") : .allowed
        default:
            return .rejected("unknown membership '\(membership)'")
        }
    }

    /// The creator rule 5.3.1 names: `content.creator` before v11, the create event's sender after.
    static func firstCreator(_ create: PDU) -> String? {
        create.roomVersion.creatorIsCreateSender ? create.sender : create.content["creator"]?.stringValue
    }
}

/// Rule 5.4.1: an invite that redeems a third-party invite, proven by the identity server's
/// signature over `signed` with a key the `m.room.third_party_invite` event published.
enum ThirdPartyInviteRules {
    static func check(_ event: PDU, target: String, state: [StateKey: PDU]) -> AuthDecision {
        guard case .object(let signed)? = event.content["third_party_invite"]?["signed"] else {
            return .rejected("third_party_invite has no signed object")
        }
        guard let mxid = signed["mxid"]?.stringValue, let token = signed["token"]?.stringValue,
            case .object(let signatures)? = signed["signatures"]
        else { return .rejected("third_party_invite.signed lacks mxid, token or signatures") }
        if mxid != target { return .rejected("third_party_invite.signed.mxid is not the invited user") }
        guard let invite = state[StateKey(EventType.thirdPartyInvite, token)] else {
            return .rejected("no m.room.third_party_invite for the token")
        }
        if invite.sender != event.sender { return .rejected("the third-party invite was sent by someone else") }
        for publicKey in publicKeys(of: invite) {
            // Like Synapse: with each published key, try the first ed25519 signature found.
            for server in signatures.keys.sorted() {
                guard
                    let keyID = signatures[server]?.objectValue?.keys.sorted().first(where: { $0.hasPrefix("ed25519:") }
                    )
                else { continue }
                if SignedJSON.verify(signed, entity: server, keyID: keyID, publicKeyBase64: publicKey).isValid {
                    return .allowed
                }
                break
            }
        }
        return .rejected("no signature in third_party_invite.signed matches the invite's public keys")
    }

    /// `content.public_key` and every `public_key` in `content.public_keys`.
    static func publicKeys(of invite: PDU) -> [String] {
        var keys: [String] = []
        if let key = invite.content["public_key"]?.stringValue { keys.append(key) }
        for entry in invite.content["public_keys"]?.arrayValue ?? [] {
            if let key = entry["public_key"]?.stringValue { keys.append(key) }
        }
        return keys
    }
}
