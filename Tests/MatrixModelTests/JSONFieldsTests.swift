import MatrixModel
import Testing

@Suite("JSON field helpers")
struct JSONFieldsTests {
    let body: JSONObject = [
        "s": "text", "b": true, "i": 42, "o": ["k": "v"], "list": ["a", "b"], "empty": [],
        "n": .null, "mixed": ["a", 1], "num": 1,
    ]

    /// Runs `body`, expecting a 400 M_BAD_JSON that mentions `field`.
    func expectBadJSON(
        _ field: String, _ body: () throws(MatrixError) -> Void, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            try body()
            Issue.record("expected M_BAD_JSON for '\(field)'", sourceLocation: sourceLocation)
        } catch {
            #expect(error.errcode == "M_BAD_JSON", sourceLocation: sourceLocation)
            #expect(error.status == 400, sourceLocation: sourceLocation)
            #expect(error.message.contains("'\(field)'"), sourceLocation: sourceLocation)
        }
    }

    @Test("present fields of the right type are returned")
    func values() throws {
        #expect(try body.requiredString("s") == "text")
        #expect(try body.optionalString("s") == "text")
        #expect(try body.optionalBool("b") == true)
        #expect(try body.optionalInt("i") == 42)
        #expect(try body.requiredObject("o") == ["k": "v"])
        #expect(try body.optionalObject("o") == ["k": "v"])
        #expect(try body.requiredStringArray("list") == ["a", "b"])
        #expect(try body.requiredStringArray("empty") == [])
    }

    @Test("optional fields that are absent or null are nil")
    func absentOptionals() throws {
        for key in ["missing", "n"] {
            #expect(try body.optionalString(key) == nil)
            #expect(try body.optionalBool(key) == nil)
            #expect(try body.optionalInt(key) == nil)
            #expect(try body.optionalObject(key) == nil)
        }
    }

    @Test("missing required fields are M_BAD_JSON")
    func missingRequired() {
        expectBadJSON("missing") { () throws(MatrixError) in _ = try body.requiredString("missing") }
        expectBadJSON("missing") { () throws(MatrixError) in _ = try body.requiredObject("missing") }
        expectBadJSON("missing") { () throws(MatrixError) in _ = try body.requiredStringArray("missing") }
    }

    @Test("fields of the wrong type are M_BAD_JSON")
    func wrongTypes() {
        expectBadJSON("num") { () throws(MatrixError) in _ = try body.requiredString("num") }
        expectBadJSON("n") { () throws(MatrixError) in _ = try body.requiredString("n") }
        expectBadJSON("i") { () throws(MatrixError) in _ = try body.optionalString("i") }
        expectBadJSON("s") { () throws(MatrixError) in _ = try body.optionalBool("s") }
        expectBadJSON("b") { () throws(MatrixError) in _ = try body.optionalInt("b") }
        expectBadJSON("s") { () throws(MatrixError) in _ = try body.optionalInt("s") }
        expectBadJSON("list") { () throws(MatrixError) in _ = try body.requiredObject("list") }
        expectBadJSON("n") { () throws(MatrixError) in _ = try body.requiredObject("n") }
        expectBadJSON("s") { () throws(MatrixError) in _ = try body.optionalObject("s") }
        expectBadJSON("o") { () throws(MatrixError) in _ = try body.requiredStringArray("o") }
        expectBadJSON("mixed") { () throws(MatrixError) in _ = try body.requiredStringArray("mixed") }
    }

    @Test("a double is not an integer")
    func doubleIsNotInt() {
        let fields: JSONObject = ["d": .double(1.5)]
        expectBadJSON("d") { () throws(MatrixError) in _ = try fields.optionalInt("d") }
    }

    @Test("MatrixError bodies carry errcode, error and extra fields")
    func errorBody() {
        let error = MatrixError.limitExceeded(retryAfterMilliseconds: 1500)
        #expect(error.status == 429)
        #expect(error.body == ["errcode": "M_LIMIT_EXCEEDED", "error": "Too many requests", "retry_after_ms": 1500])
        #expect(MatrixError.unknownToken().body["soft_logout"] == false)
        #expect(MatrixError.badJSON("x").body == ["errcode": "M_BAD_JSON", "error": "x"])
    }
}
