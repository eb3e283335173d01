"""Reads a bench/run.sh results file: RUN lines (how the run was made), keyport-bench's RESULT and
DETAIL lines and the script's MEMORY lines. report.py and chart.py both read it through this."""

# Display names of the server configurations, in the order tables and charts show them.
CONFIGURATIONS = {
    "keyport-sqlite": "Keyport SQLite",
    "keyport-sqlite-logged": "Keyport SQLite, request log on",
    "keyport-pg1": "Keyport PostgreSQL ×1",
    "keyport-pg3": "Keyport PostgreSQL ×3",
    "synapse-sqlite": "Synapse SQLite",
    "synapse-pg": "Synapse PostgreSQL",
    "hello": "Hummingbird hello-world",
}


class Results:
    def __init__(self, path):
        self.run = {}  # RUN key -> the rest of its line
        self.scenarios = {}  # scenario -> {label: result}, in the order the run measured them
        self.memory = {}  # label -> (resident KiB, anonymous KiB)
        self.details = {}  # (label, scenario) -> {name: count}
        self.fanout = {}  # destination count -> result of the fan-out scenario (Keyport only)
        for line in open(path):
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "RUN":
                self.run[parts[1]] = line.split(None, 2)[2].strip() if len(parts) > 2 else ""
            elif parts[0] == "RESULT":
                label, scenario = parts[1], parts[2]
                throughput, unit, p50, p99, peak, count, errors = parts[3:10]
                result = dict(throughput=float(throughput), unit=unit, p50=float(p50), p99=float(p99),
                              max=float(peak), count=int(count), errors=int(errors))
                if scenario.startswith("fanout-"):  # a table of its own, not a column beside Synapse
                    self.fanout[int(scenario.split("-")[1])] = dict(result, label=label, scenario=scenario)
                else:
                    self.scenarios.setdefault(scenario, {})[label] = result
            elif parts[0] == "DETAIL":
                self.details[(parts[1], parts[2])] = {k: int(v) for k, v in (p.split("=") for p in parts[3:])}
            elif parts[0] == "MEMORY":
                self.memory[parts[1]] = (int(parts[2]), int(parts[3]))

    def labels(self):
        """The configurations this run measured, known ones first in their usual order."""
        measured = {label for by_label in self.scenarios.values() for label in by_label}
        measured |= set(self.memory) - {result["label"] for result in self.fanout.values()}
        return [label for label in CONFIGURATIONS if label in measured] + sorted(measured - set(CONFIGURATIONS))

    def result(self, label, scenario):
        """The figures of one scenario on one configuration, or None."""
        return self.scenarios.get(scenario, {}).get(label)

    def unit(self, scenario):
        return next(iter(self.scenarios[scenario].values()))["unit"]

    def heading(self):
        """Three lines naming what was compared and how the run was made."""
        run = self.run
        return (f"Keyport {run.get('commit', '?')} vs Synapse {run.get('synapse', '?')}: {run.get('settings', '')}\n"
                f"Command: `{run.get('command', '?')}`, {run.get('date', '?')}\n"
                f"Load average (1, 5, 15 min) before the run {run.get('load-before', '?')}, "
                f"after {run.get('load-after', '?')}")


def name(label):
    return CONFIGURATIONS.get(label, label)
