#!/usr/bin/env python3
"""Prints the side-by-side table of a bench/run.sh results file (usage: report.py RESULTS),
headed by the command line, the Keyport commit and the date of the run."""
import sys

from results import Results, name

# The ratio columns: Keyport's figure over Synapse's on the same database engine, same run.
PAIRS = [("keyport-sqlite", "synapse-sqlite", "SQLite"),
         ("keyport-pg1", "synapse-pg", "PostgreSQL ×1"),
         ("keyport-pg3", "synapse-pg", "PostgreSQL ×3")]

results = Results(sys.argv[1])
labels = results.labels()
pairs = [(keyport, synapse, title) for keyport, synapse, title in PAIRS if keyport in labels and synapse in labels]


def cell(result):
    if not result:
        return "—"
    errors = f", {result['errors']} err" if result["errors"] else ""
    return f"{result['throughput']:.0f} ({result['p50']:.1f} / {result['p99']:.1f}{errors})"


def ratio(keyport, synapse):
    return f"{keyport / synapse:.2f}×" if keyport and synapse else "—"


rows = []
for scenario, by_label in results.scenarios.items():
    throughput = {label: result["throughput"] for label, result in by_label.items()}
    rows.append([f"{scenario} ({results.unit(scenario)})"] + [cell(by_label.get(label)) for label in labels]
                + [ratio(throughput.get(keyport), throughput.get(synapse)) for keyport, synapse, _ in pairs])
for title, index in [("resident memory 6 s after runs", 0), ("of it anonymous (heap, stacks)", 1)]:
    kib = {label: figures[index] for label, figures in results.memory.items()}
    rows.append([title] + [f"{kib[label] / 1024:.0f} MiB" if label in kib else "—" for label in labels]
                + [ratio(kib.get(keyport), kib.get(synapse)) for keyport, synapse, _ in pairs])

header = ["scenario"] + [name(label) for label in labels] + [f"Keyport ÷ Synapse, {title}" for _, _, title in pairs]
print(results.heading())
print("Cells: throughput (p50 / p99 latency in ms). Ratios: Keyport's throughput (or memory) over Synapse's, "
      "same database engine, same run. Memory of several processes is their sum.")
print()
print("| " + " | ".join(header) + " |")
print("|" + "---|" * len(header))
for row in rows:
    print("| " + " | ".join(row) + " |")
