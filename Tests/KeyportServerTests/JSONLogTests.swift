import Foundation
import Hummingbird
import HummingbirdTesting
import KeyportServer
import Logging
import MatrixModel
import Synchronization
import Testing

/// `log_format: json`: every line is one JSON object with the text format's fields.
@Suite("JSON logs")
struct JSONLogTests {
    final class Lines: Sendable {
        let collected = Mutex<[[UInt8]]>([])
        func append(_ line: [UInt8]) { collected.withLock { $0.append(line) } }
        var all: [[UInt8]] { collected.withLock { $0 } }
    }

    @Test("A log call is one line of JSON with timestamp, level, label, source, message and metadata")
    func oneObjectPerLine() throws {
        let lines = Lines()
        var logger = Logger(label: "keyport", factory: { label in JSONLogHandler(label: label, write: lines.append) })
        logger[metadataKey: "listener"] = "8008"
        logger.info("hello\nworld \"quoted\"", metadata: ["path": "/x", "nested": ["a": "1"], "list": ["p", "q"]])
        logger.debug("not at info level")
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") }, "one line even with a newline in the message")
        let object = try #require(try JSONParser().parse(line.dropLast()).objectValue)
        #expect(object["level"] == "info" && object["label"] == "keyport")
        #expect(object["message"] == "hello\nworld \"quoted\"")
        #expect(object["source"]?.stringValue?.isEmpty == false)
        #expect(object["metadata"] == ["listener": "8008", "path": "/x", "nested": ["a": "1"], "list": ["p", "q"]])
        let timestamp = try #require(object["timestamp"]?.stringValue)
        #expect(timestamp.count == 24 && timestamp.hasSuffix("Z"), "\(timestamp)")
    }

    @Test("The server's request lines parse as JSON, line by line")
    func serverRequestLines() async throws {
        let lines = Lines()
        var logger = Logger(label: "keyport", factory: { label in JSONLogHandler(label: label, write: lines.append) })
        logger.logLevel = .info
        let config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        let app = try KeyportApplication.build(config: config, logger: logger)
        try await app.test(.live) { client in
            let client = MatrixClient(client: client, serverName: config.serverName.rawValue)
            _ = try await client.request(.get, "/_matrix/client/versions")
        }
        let objects = try lines.all.map { line in try #require(try JSONParser().parse(line.dropLast()).objectValue) }
        #expect(objects.contains { $0["message"]?.stringValue?.hasPrefix("GET /_matrix/client/versions 200") == true })
    }
}
