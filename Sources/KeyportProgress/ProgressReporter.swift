/// Progress of long work counted in items (rows, keys): how many are done, and when the total is
/// known, the share done and the time left, with the rate so far.
///
/// On a terminal one line is redrawn in place (`\r`, at most ten times a second); elsewhere a
/// line is written every `interval`, so logs stay readable, the first one `interval` after the
/// start (a rate over the first instant says little). `finish()` writes a summary line.
/// The output and the clock are injected, so tests see exactly what a user would.
public final class ProgressReporter {
    /// What is being counted, for the lines: "Copying rows".
    public let title: String
    /// The items to do, when known.
    public var total: Int?
    /// The part being worked on now (a table name), shown after the counts.
    public var item: String?
    public private(set) var done = 0

    private let output: ProgressOutput
    private let interval: Duration
    private let now: () -> Duration
    private var startedAt: Duration
    private var lastWritten: Duration
    /// Whether a terminal line was drawn and not yet ended.
    private var lineOpen = false

    /// How often a terminal line is redrawn at most.
    static let redrawInterval: Duration = .milliseconds(100)

    /// `now` is the time since any fixed origin (a monotonic clock); the default reads
    /// `ContinuousClock`.
    public init(
        title: String, total: Int? = nil, output: ProgressOutput = .standardError, interval: Duration = .seconds(5),
        now: @escaping () -> Duration = ProgressReporter.continuousNow()
    ) {
        self.title = title
        self.total = total
        self.output = output
        self.interval = interval
        self.now = now
        startedAt = now()
        lastWritten = startedAt
    }

    /// Starts counting again from zero and from now, toward `total`: the rate and the time left
    /// count from here, not from when the reporter was made (setting up may take a while).
    public func start(total: Int?) {
        self.total = total
        done = 0
        startedAt = now()
        lastWritten = startedAt
    }

    /// The default clock: time since the reporter was made, from `ContinuousClock`.
    public static func continuousNow() -> () -> Duration {
        let origin = ContinuousClock.now
        return { ContinuousClock.now - origin }
    }

    /// Counts `count` more items done and writes a line if one is due.
    public func advance(by count: Int) {
        done += count
        let time = now()
        let due = output.isTerminal ? Self.redrawInterval : interval
        guard time - lastWritten >= due else { return }
        lastWritten = time
        let line = ProgressLine.progress(
            title: title, done: done, total: total, elapsed: time - startedAt, item: item)
        output.write(output.isTerminal ? "\r\(line)\u{1B}[K" : "\(line)\n")
        lineOpen = output.isTerminal
    }

    /// Stops without a summary, when the work failed: on a terminal the progress line is ended,
    /// so that the message which follows starts on a line of its own.
    public func interrupt() {
        if lineOpen { output.write("\n") }
        lineOpen = false
    }

    /// Writes the summary: the count, the time taken and the rate; on a terminal it replaces the
    /// progress line.
    public func finish() {
        let line = ProgressLine.summary(title: title, done: done, elapsed: now() - startedAt)
        output.write(output.isTerminal ? "\r\(line)\u{1B}[K\n" : "\(line)\n")
        lineOpen = false
    }
}
