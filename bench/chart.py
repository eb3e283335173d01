#!/usr/bin/env python3
"""Draws a bench/run.sh results file as a PNG (usage: chart.py RESULTS PNG): per scenario, one bar
per server configuration, throughput on the upper panel and p99 latency on the lower one, with
the run's command line, commit and date as the caption. Runs with the bench venv's matplotlib."""
import sys

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

from results import Results, name  # noqa: E402

# Keyport in blues, Synapse in oranges; darker for SQLite.
COLOURS = {"keyport-sqlite": "#08306b", "keyport-sqlite-logged": "#4a1486", "keyport-pg1": "#2171b5", "keyport-pg3": "#6baed6",
           "synapse-sqlite": "#a63603", "synapse-pg": "#fd8d3c"}

results = Results(sys.argv[1])
labels = results.labels()
scenarios = list(results.scenarios)
if not scenarios:
    raise SystemExit("chart.py: no results to draw")
figure, (upper, lower) = plt.subplots(2, 1, figsize=(13, 10.5))
width = 0.84 / len(labels)


def panel(axis, key, title, unit_label, number):
    values = []
    for index, label in enumerate(labels):
        offset = (index - (len(labels) - 1) / 2) * width
        shown = [(position, results.scenarios[scenario][label])
                 for position, scenario in enumerate(scenarios) if label in results.scenarios[scenario]]
        bars = axis.bar([position + offset for position, _ in shown], [result[key] for _, result in shown], width,
                        label=name(label), color=COLOURS.get(label, "grey"))
        texts = [number(result[key]) + (f" ({result['errors']} err)" if result["errors"] else "") for _, result in shown]
        axis.bar_label(bars, texts, rotation=90, fontsize=8, padding=2)
        values += [result[key] for _, result in shown if result[key] > 0]
    # A log scale when the bars span more than a factor of 30, so the short ones stay readable.
    if values and max(values) / min(values) > 30:
        axis.set_yscale("log")
        axis.set_ylim(min(values) / 2, max(values) * 8)  # room above the tallest bar for its label
        # Plain numbers at 1, 2 and 5 of each decade rather than powers of ten.
        plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
        axis.yaxis.set_major_formatter(plain)
        axis.yaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(2, 5)))
        axis.yaxis.set_minor_formatter(plain)
        axis.tick_params(axis="y", which="minor", labelsize=8)
        unit_label += ", log scale"
    else:
        axis.set_ylim(0, max(values, default=1) * 1.3)
    axis.set_title(title, loc="left", fontsize=12)
    axis.set_ylabel(unit_label, fontsize=10)
    axis.grid(axis="y", which="major", alpha=0.3)
    axis.set_axisbelow(True)


panel(upper, "throughput", "Throughput (higher is better)", "operations per second",
      lambda value: f"{value:.0f}")
panel(lower, "p99", "p99 latency under load (lower is better)", "milliseconds",
      lambda value: f"{value:.0f}" if value >= 10 else f"{value:.1f}")
upper.set_xticks(range(len(scenarios)), [f"{scenario}\n({results.unit(scenario)})" for scenario in scenarios],
                 fontsize=10)
lower.set_xticks(range(len(scenarios)), scenarios, fontsize=10)
# At most three entries a row, so six configurations still fit the figure's width.
upper.legend(loc="lower left", bbox_to_anchor=(0, 1.08), ncol=min(len(labels), 3), fontsize=10, frameon=False)
figure.text(0.01, 0.01, results.heading().replace("`", ""), fontsize=8.5, va="bottom")
figure.tight_layout(rect=(0, 0.06, 1, 1))
figure.savefig(sys.argv[2], dpi=110)
