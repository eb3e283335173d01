#!/usr/bin/env python3
"""Prints the side-by-side table from keyport-bench RESULT and MEMORY lines."""
import collections
import sys

path, duration, concurrency, synapse_version = sys.argv[1:5]
results = collections.defaultdict(dict)
memory = {}
anonymous = {}
labels = []
for line in open(path):
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "RESULT":
        label, scenario = parts[1], parts[2]
        throughput, unit, p50, p99, peak, count, errors = parts[3:10]
        results[scenario][label] = dict(throughput=float(throughput), unit=unit, p50=float(p50), p99=float(p99),
                                        max=float(peak), count=int(count), errors=int(errors))
        if label not in labels:
            labels.append(label)
    elif parts[0] == "MEMORY":
        memory[parts[1]] = int(parts[2])
        if len(parts) > 3:
            anonymous[parts[1]] = int(parts[3])

others = [label for label in labels if label != "keyport"]
header = ["scenario", "keyport"] + others + [f"ratio vs {label}" for label in others]
rows = []
for scenario, by_label in results.items():
    def cell(label):
        r = by_label.get(label)
        if not r:
            return "—"
        errors = f", {r['errors']} err" if r["errors"] else ""
        return f"{r['throughput']:.0f} {r['unit']} (p50 {r['p50']:.1f} / p99 {r['p99']:.1f} ms{errors})"
    ratios = []
    for label in others:
        k, o = by_label.get("keyport"), by_label.get(label)
        ratios.append(f"{k['throughput'] / o['throughput']:.1f}×" if k and o and o["throughput"] > 0 else "—")
    rows.append([scenario, cell("keyport")] + [cell(label) for label in others] + ratios)
def memory_row(title, kib):
    row = [title] + [f"{kib.get(label, 0) / 1024:.0f} MiB" for label in ["keyport"] + others]
    return row + [f"{kib['keyport'] / kib[label]:.2f}×" if kib.get(label) else "—" for label in others]


rows.append(memory_row("resident memory 6 s after runs", memory))
if anonymous:  # the heap and stacks alone, without the mapped program and libraries
    rows.append(memory_row("of it anonymous (heap, stacks)", anonymous))

print(f"Keyport vs Synapse {synapse_version}: {concurrency} concurrent clients, {duration} s per scenario, loopback")
print("| " + " | ".join(header) + " |")
print("|" + "---|" * len(header))
for row in rows:
    print("| " + " | ".join(row) + " |")
