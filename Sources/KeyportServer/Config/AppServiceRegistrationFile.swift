import Foundation
public import KeyportServices
public import MatrixModel

/// `app_service_config_files`: one registration per file, in the YAML format Synapse and the
/// bridges use. A file that cannot be used stops start-up with a message naming it; so do two
/// services that cannot be configured together (``ApplicationServiceRegistry/conflict(_:_:)``).
public enum AppServiceRegistrationFile {
    /// Reads and checks every file.
    public static func load(_ paths: [String], serverName: ServerName) throws(ConfigError) -> [ApplicationService] {
        var loaded: [(path: String, service: ApplicationService)] = []
        for path in paths {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigError("app_service_config_files: cannot read \(path)")
            }
            let service = try parse(yaml: text, file: path, serverName: serverName)
            for earlier in loaded {
                if let conflict = ApplicationServiceRegistry.conflict(earlier.service, service) {
                    throw ConfigError("app_service_config_files: \(earlier.path) and \(path): \(conflict)")
                }
            }
            loaded.append((path, service))
        }
        return loaded.map(\.service)
    }

    /// One registration; every error names `file`.
    public static func parse(yaml text: String, file: String, serverName: ServerName) throws(ConfigError)
        -> ApplicationService
    {
        do {
            return try parse(yaml: text, serverName: serverName)
        } catch {
            throw ConfigError("application service registration \(file): \(error.message)")
        }
    }

    private static func parse(yaml text: String, serverName: ServerName) throws(ConfigError) -> ApplicationService {
        guard let map = try YAMLDocument.json(text).objectValue else {
            throw ConfigError("the top level must be a mapping")
        }
        let reader = ConfigReader(map: map, path: "")
        let id = try reader.requiredString("id")
        // `url` must be given, as a string or as an explicit null (a service that receives
        // nothing): a missing one is more likely a mistake than a choice, as Synapse reasons.
        guard let url = map["url"] else { throw ConfigError("url is required (a URL, or null for none)") }
        guard url.isNull || url.stringValue != nil else { throw ConfigError("url must be a string or null") }
        let localpart = try reader.requiredString("sender_localpart")
        guard let sender = UserID(localpart: localpart, serverName: serverName), UserID.isValidNewLocalpart(localpart)
        else {
            throw ConfigError("sender_localpart '\(localpart)' is not a valid user localpart")
        }
        guard let namespaces = try reader.object("namespaces") else { throw ConfigError("namespaces is required") }
        var parsed: [ApplicationService.NamespaceKind: [ApplicationService.Namespace]] = [:]
        for kind in ApplicationService.NamespaceKind.allCases {
            parsed[kind] = try Self.namespaces(namespaces, kind)
        }
        // MSC2409's first name for `receive_ephemeral` is still read, as Synapse does.
        let ephemeral = try reader.bool("receive_ephemeral")
        let unstableEphemeral = try reader.bool("de.sorunome.msc2409.push_ephemeral")
        return ApplicationService(
            id: id, url: url.stringValue, asToken: try reader.requiredString("as_token"),
            hsToken: try reader.requiredString("hs_token"), sender: sender.rawValue, namespaces: parsed,
            rateLimited: try reader.bool("rate_limited") ?? true,
            receivesEphemeral: ephemeral ?? unstableEphemeral ?? false,
            receivesDeviceData: try reader.bool("org.matrix.msc3202") ?? false)
    }

    /// One kind's list of `{regex, exclusive}` entries (absent: none).
    private static func namespaces(_ reader: ConfigReader, _ kind: ApplicationService.NamespaceKind)
        throws(ConfigError) -> [ApplicationService.Namespace]
    {
        let name = "namespaces.\(kind.rawValue)"
        guard let entries = try reader.array(kind.rawValue) else { return [] }
        var namespaces: [ApplicationService.Namespace] = []
        for (index, entry) in entries.enumerated() {
            guard let object = entry.objectValue, let regex = object["regex"]?.stringValue else {
                throw ConfigError("\(name)[\(index)] needs a string 'regex'")
            }
            guard let exclusive = object["exclusive"]?.boolValue else {
                throw ConfigError("\(name)[\(index)] needs 'exclusive: true' or 'exclusive: false'")
            }
            guard let namespace = ApplicationService.Namespace(regex: regex, exclusive: exclusive) else {
                throw ConfigError("\(name)[\(index)]: '\(regex)' is not a valid regular expression")
            }
            namespaces.append(namespace)
        }
        return namespaces
    }
}
