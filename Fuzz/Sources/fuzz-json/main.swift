import KeyportFuzzing

/// libFuzzer's entry point: one input for the JSON parsers and the canonical writer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.json.fuzz(data, size)
}
