import KeyportFuzzing

/// libFuzzer's entry point: one input for the YAML configuration reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.config.fuzz(data, size)
}
