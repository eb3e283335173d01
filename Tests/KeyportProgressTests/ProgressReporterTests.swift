import KeyportProgress
import Testing

/// A clock the test moves by hand, and everything the reporter wrote.
private final class Recorder {
    var now: Duration = .zero
    var written: [String] = []

    func reporter(terminal: Bool, total: Int? = nil) -> ProgressReporter {
        ProgressReporter(
            title: "Copying rows", total: total,
            output: ProgressOutput(isTerminal: terminal) { self.written.append($0) }, interval: .seconds(5),
            now: { self.now })
    }
}

@Suite("Progress on a terminal and in a log")
struct ProgressReporterTests {
    @Test("in a log: a line every interval (the first after one) with rate and time left, then a summary")
    func plainLines() {
        let recorder = Recorder()
        let progress = recorder.reporter(terminal: false, total: 10_000)
        progress.item = "accounts"
        recorder.now = .seconds(1)
        progress.advance(by: 500)
        recorder.now = .seconds(3)
        progress.advance(by: 1_000)
        recorder.now = .seconds(5)
        progress.advance(by: 1_000)
        recorder.now = .seconds(6)
        progress.advance(by: 500)
        progress.item = "devices"
        recorder.now = .seconds(10)
        progress.advance(by: 2_000)
        recorder.now = .seconds(20)
        progress.advance(by: 5_000)
        progress.finish()
        #expect(
            recorder.written == [
                "Copying rows: 2,500 of 10,000 (25%), 500/s, 15s left (accounts)\n",
                "Copying rows: 5,000 of 10,000 (50%), 500/s, 10s left (devices)\n",
                "Copying rows: 10,000 of 10,000 (100%), 500/s (devices)\n",
                "Copying rows: 10,000 in 20s (500/s)\n",
            ])
    }

    @Test("on a terminal: one line redrawn in place at most ten times a second, the summary ends it")
    func terminalRedraw() {
        let recorder = Recorder()
        let progress = recorder.reporter(terminal: true, total: 3_000)
        recorder.now = .milliseconds(500)
        progress.advance(by: 1_000)
        recorder.now = .milliseconds(550)
        progress.advance(by: 1_000)
        recorder.now = .milliseconds(1_000)
        progress.advance(by: 500)
        progress.finish()
        #expect(
            recorder.written == [
                "\rCopying rows: 1,000 of 3,000 (33%), 2,000/s, 1.0s left\u{1B}[K",
                "\rCopying rows: 2,500 of 3,000 (83%), 2,500/s, 0.2s left\u{1B}[K",
                "\rCopying rows: 2,500 in 1.0s (2,500/s)\u{1B}[K\n",
            ])
    }

    @Test("without a total: the count and the rate only; long times in minutes and hours")
    func noTotal() {
        let recorder = Recorder()
        let progress = recorder.reporter(terminal: false)
        recorder.now = .seconds(125)
        progress.advance(by: 1_234_567)
        recorder.now = .seconds(3_725)
        progress.finish()
        #expect(
            recorder.written == [
                "Copying rows: 1,234,567, 9,876/s\n",
                "Copying rows: 1,234,567 in 1h 02m (331/s)\n",
            ])
        let minutes = recorder.reporter(terminal: false, total: 200)
        recorder.now = .seconds(3_725 + 65)
        minutes.advance(by: 100)
        #expect(recorder.written.last == "Copying rows: 100 of 200 (50%), 1.5/s, 1m 05s left\n")
    }

    @Test("interrupted: a terminal line is ended so the error message starts on its own line; a log gets nothing")
    func interrupted() {
        let terminal = Recorder()
        let progress = terminal.reporter(terminal: true, total: 10)
        progress.interrupt()
        #expect(terminal.written == [], "no line was drawn yet")
        terminal.now = .seconds(1)
        progress.advance(by: 1)
        progress.interrupt()
        progress.interrupt()
        #expect(terminal.written == ["\rCopying rows: 1 of 10 (10%), 1.0/s, 9.0s left\u{1B}[K", "\n"])

        let log = Recorder()
        let logged = log.reporter(terminal: false, total: 10)
        log.now = .seconds(5)
        logged.advance(by: 1)
        logged.interrupt()
        #expect(log.written == ["Copying rows: 1 of 10 (10%), 0.2/s, 45s left\n"])
    }

    @Test("start(total:) counts again from zero, and the rate from that moment")
    func restart() {
        let recorder = Recorder()
        let progress = recorder.reporter(terminal: false)
        recorder.now = .seconds(30)
        progress.start(total: 100)
        recorder.now = .seconds(35)
        progress.advance(by: 50)
        progress.finish()
        #expect(
            recorder.written == [
                "Copying rows: 50 of 100 (50%), 10/s, 5.0s left\n",
                "Copying rows: 50 in 5.0s (10/s)\n",
            ])
    }
}
