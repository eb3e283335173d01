import KeyportFuzzing

/// libFuzzer's entry point: one input for server names, user IDs, key IDs and IP literals.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzServerName(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.serverName.fuzz(data, size)
}
