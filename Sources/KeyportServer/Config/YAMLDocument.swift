import MatrixModel
import Yams

/// A YAML document as JSON values, built from Yams' node tree rather than `Yams.load`: `load`
/// force-unwraps every mapping key as a string and traps on a key that is a mapping or a sequence
/// (found by the `config` fuzz target), so a bad config file would crash `keyport serve` instead of
/// being reported. Scalars resolve as YAML 1.1 core tags do (null, bool, int, float, else string);
/// a repeated key keeps its last value, as PyYAML (Synapse's reader) does.
enum YAMLDocument {
    static func json(_ text: String) throws(ConfigError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigError("not valid YAML: \(error)")
        }
        guard let node else { throw ConfigError("the file is empty") }
        return try value(node, path: "")
    }

    private static func value(_ node: Node, path: String) throws(ConfigError) -> JSONValue {
        switch node {
        case .scalar:
            // The resolved tag (a quoted "123" stays a string).
            switch node.tag.description {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: if let flag = node.bool { return .bool(flag) }
            case Tag.Name.int.rawValue: if let integer = node.int { return .int(Int64(integer)) }
            case Tag.Name.float.rawValue: if let number = node.float, number.isFinite { return .double(number) }
            default: break
            }
            return .string(node.string ?? "")
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for (index, item) in sequence.enumerated() { items.append(try value(item, path: "\(path)[\(index)]")) }
            return .array(items)
        case .mapping(let mapping):
            var object: JSONObject = [:]
            for (key, item) in mapping {
                guard case .scalar = key, let name = key.string else {
                    throw ConfigError("\(path.isEmpty ? "the top level" : path) has a key that is not a string")
                }
                object[name] = try value(item, path: path.isEmpty ? name : "\(path).\(name)")
            }
            return .object(object)
        case .alias:
            throw ConfigError("\(path.isEmpty ? "the document" : path) holds an unresolved alias")
        }
    }
}
