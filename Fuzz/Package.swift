// swift-tools-version:6.1
import PackageDescription

// The libFuzzer executables, one per target of KeyportFuzzing. They live in a package of their own
// because each must be linked with `--sanitize=fuzzer`, whose libFuzzer supplies `main`: built in
// the root package they would add six links to every `swift build` there and could not be built
// with the sanitizer together with the `keyport` executables. Build and run them with
// `scripts/fuzz.sh`.

/// Raw values of `FuzzTarget`; each has `Sources/fuzz-<name>/main.swift`.
let targetNames = ["json", "x-matrix", "dns-message", "well-known", "server-name", "config"]

let package = Package(
    name: "KeyportFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Keyport", path: "..")
    ],
    targets: targetNames.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: [.product(name: "KeyportFuzzing", package: "Keyport")]
        )
    }
)
