import KeyportFuzzing

/// libFuzzer's entry point: one input for the .well-known body and cache headers.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWellKnown(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.wellKnown.fuzz(data, size)
}
