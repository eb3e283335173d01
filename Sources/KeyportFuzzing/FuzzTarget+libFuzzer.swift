extension FuzzTarget {
    /// The body of `LLVMFuzzerTestOneInput`: checks one input and stops the process when a property
    /// does not hold, so that libFuzzer saves the input as a crash.
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let input = size > 0 ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        do {
            try check(input)
        } catch {
            fatalError("fuzz-\(rawValue): \(error)")
        }
        return 0
    }
}
