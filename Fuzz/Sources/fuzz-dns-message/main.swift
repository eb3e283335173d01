import KeyportFuzzing

/// libFuzzer's entry point: one input for the DNS response parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.dnsMessage.fuzz(data, size)
}
