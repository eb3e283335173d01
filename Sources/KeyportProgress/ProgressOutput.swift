import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a `ProgressReporter` writes, and whether that is a terminal (where one line is redrawn in
/// place) or a file or pipe (where lines are appended now and then).
public struct ProgressOutput {
    public var isTerminal: Bool
    public var write: (String) -> Void

    public init(isTerminal: Bool, write: @escaping (String) -> Void) {
        self.isTerminal = isTerminal
        self.write = write
    }

    /// Standard error, a terminal when `isatty` says so.
    public static var standardError: ProgressOutput {
        ProgressOutput(isTerminal: isatty(STDERR_FILENO) != 0) { text in
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}
