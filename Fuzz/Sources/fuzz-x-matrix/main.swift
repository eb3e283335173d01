import KeyportFuzzing

/// libFuzzer's entry point: one input for the X-Matrix header parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXMatrix(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.xMatrix.fuzz(data, size)
}
