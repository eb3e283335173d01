import Foundation
import KeyportFuzzing
import Testing

/// Every input committed under `Tests/FuzzCorpora` (hand-written seeds and every input that once
/// broke a target) replayed through the same checks the libFuzzer executables run, so a
/// regression fails `swift test` without a sanitizer build.
@Suite struct FuzzCorpusReplayTests {
    /// `Tests/FuzzCorpora`, found from this file so that no bundle or working directory matters.
    static let corpora = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FuzzCorpora")

    static func inputs(of target: FuzzTarget) throws -> [URL] {
        let folder = corpora.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.hasDirectoryPath }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test("each corpus replays without breaking a property", arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) throws {
        let files = try Self.inputs(of: target)
        #expect(files.count > 0, "no inputs in \(Self.corpora.path)/\(target.rawValue)")
        var accepted = 0
        for file in files {
            let input = Array(try Data(contentsOf: file))
            do {
                if try target.check(input) { accepted += 1 }
            } catch {
                Issue.record("\(target.rawValue)/\(file.lastPathComponent): \(error)")
            }
        }
        // Seeds are meant to reach past the first rejection; a corpus of garbage would not.
        #expect(accepted > 0, "no input in \(target.rawValue) was accepted by the parser")
    }

    @Test("every corpus folder belongs to a target")
    func noStrayCorpusFolders() throws {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.corpora.path)
        #expect(Set(folders) == Set(FuzzTarget.allCases.map(\.rawValue)))
    }
}
