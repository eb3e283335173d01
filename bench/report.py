#!/usr/bin/env python3
"""Prints the tables of a bench/run.sh results file (usage: report.py RESULTS), headed by the
command line, the Keyport commit and the date of the run: every scenario side by side, the claim
pool, the no-op ceiling, and each of issue 16's goals marked met or not met from this run alone."""
import sys

from results import Results, name

# The ratio columns: Keyport's figure over Synapse's, same run.
PAIRS = [("keyport-sqlite", "synapse-sqlite", "SQLite"),
         ("keyport-pg1", "synapse-pg", "PostgreSQL ×1"),
         ("keyport-pg3", "synapse-pg", "PostgreSQL ×3")]
CEILING = ["noop-whoami", "noop-versions", "hello-world"]
HOT_PATHS = ["claim", "query-1000-devices", "query-100x5", "todevice-delivery"]

results = Results(sys.argv[1])
labels = [label for label in results.labels() if label != "hello"]
pairs = [(keyport, synapse, title) for keyport, synapse, title in PAIRS if keyport in labels and synapse in labels]


def cell(result):
    if not result:
        return "—"
    errors = f", **{result['errors']} errors**" if result["errors"] else ""
    return f"{result['throughput']:.0f} ({result['p50']:.1f} / {result['p99']:.1f}{errors})"


def ratio(keyport, synapse):
    return f"{keyport / synapse:.2f}×" if keyport and synapse else "—"


def table(header, rows):
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()


print(results.heading())
print()
print("Cells: throughput (p50 / p99 latency in ms). Ratios: Keyport's throughput (or memory) over Synapse's, "
      "same database engine, same run. Memory of several processes is their sum.")
print()
rows = []
for scenario, by_label in results.scenarios.items():
    if scenario == "hello-world":
        continue
    throughput = {label: result["throughput"] for label, result in by_label.items()}
    rows.append([f"{scenario} ({results.unit(scenario)})"] + [cell(by_label.get(label)) for label in labels]
                + [ratio(throughput.get(keyport), throughput.get(synapse)) for keyport, synapse, _ in pairs])
for title, index in [("resident memory 6 s after runs", 0), ("of it anonymous (heap, stacks)", 1)]:
    kib = {label: figures[index] for label, figures in results.memory.items()}
    rows.append([title] + [f"{kib[label] / 1024:.0f} MiB" if label in kib else "—" for label in labels]
                + [ratio(kib.get(keyport), kib.get(synapse)) for keyport, synapse, _ in pairs])
table(["scenario"] + [name(label) for label in labels] + [f"Keyport ÷ Synapse, {t}" for _, _, t in pairs], rows)

claims = [(label, results.details[(label, "claim")]) for label in labels if (label, "claim") in results.details]
if claims:
    print("Claim pool: one-time keys uploaded before the run, claimed during it, and fallback keys answered "
          "(each one an error).")
    print()
    table(["configuration", "pool", "claimed", "fallback answers"],
          [[name(label), f"{d['pool']:,}", f"{d['claimed']:,}", str(d["fallback"])] for label, d in claims])

# --- The ceiling: what the server's own HTTP and auth layers allow ---------------------------------
hello = results.result("hello", "hello-world")
ceiling_labels = [label for label in labels if label.startswith("keyport") and results.result(label, "noop-whoami")]
if ceiling_labels or hello:
    print("The ceiling: requests that do nothing (requests/s, p50 / p99 ms), and each hot path as a fraction of "
          "the authenticated no-op of the same configuration.")
    print()
    rows = []
    if hello:
        rows.append(["Hummingbird hello-world (`keyport-bench-hello`)", cell(hello)] + [""] * 6)
    for label in ceiling_labels:
        whoami, versions = results.result(label, "noop-whoami"), results.result(label, "noop-versions")
        fractions = []
        for scenario in HOT_PATHS:
            hot = results.result(label, scenario)
            fractions.append(f"{hot['throughput'] / whoami['throughput']:.0%}" if hot and whoami else "—")
        rows.append([name(label), f"whoami {cell(whoami)}; versions {cell(versions)}"] + fractions
                    + [ratio(whoami and whoami["throughput"], versions and versions["throughput"]),
                       ratio(versions and versions["throughput"], hello and hello["throughput"])])
    table(["configuration", "no-op throughput"] + [f"{s} ÷ whoami" for s in HOT_PATHS]
          + ["whoami ÷ versions", "versions ÷ hello-world"], rows)


# --- Federation fan-out -------------------------------------------------------------------------------
if results.fanout:
    print("Federation fan-out: a device rename by a user who shares a room with a user on each of N stub "
          "servers (TLS on loopback); time from the request to each server's first receipt of the new name, "
          "over every round. EDUs/s: receipts over the rounds' time.")
    print()
    rows = []
    for count, result in sorted(results.fanout.items()):
        d = results.details.get((result["label"], result["scenario"]), {})
        rounds = ", ".join(f"{d[f'round{n}_last_ms'] / 1000:.2f} s (first {d.get(f'round{n}_first_ms', 0)} ms)"
                           for n in range(1, 100) if f"round{n}_last_ms" in d)
        errors = f"; **{result['errors']} missing**" if result["errors"] else ""
        rows.append([f"{count:,}", rounds or "—", f"{result['p50']:.0f} / {result['p99']:.0f} ms",
                     f"{result['throughput']:,.0f}{errors}", f"{d.get('warmup_ms', 0) / 1000:.1f} s",
                     f"{d.get('rss_before_kib', 0) / 1024:.0f} → {d.get('rss_after_kib', 0) / 1024:.0f} MiB"
                     + (f" → {d['rss_idle_kib'] / 1024:.0f} MiB" if "rss_idle_kib" in d else "")])
    table(["destinations", "last receipt, each round (first receipt)", "receipt p50 / p99", "EDUs/s", "warm-up (seeding → all told)",
           "Keyport resident memory: before → after the rounds"], rows)


# --- Goals ---------------------------------------------------------------------------------------
def mark(met, known=True):
    if not known:
        return "not measured"
    return "met" if met else "**not met**"


goals = []
comparisons = [("keyport-sqlite", "synapse-sqlite"), ("keyport-sqlite", "synapse-pg"), ("keyport-pg1", "synapse-pg")]
for keyport, synapse in comparisons:
    for scenario in HOT_PATHS:
        k, s = results.result(keyport, scenario), results.result(synapse, scenario)
        if not (k and s):
            continue
        times = k["throughput"] / s["throughput"] if s["throughput"] else 0
        met = times >= 10 and k["p99"] <= s["p50"] and k["errors"] == 0
        goals.append([f"{scenario}: {name(keyport)} ≥ 10× {name(synapse)}, p99 ≤ its p50",
                      f"{times:.1f}×; p99 {k['p99']:.1f} ms vs p50 {s['p50']:.1f} ms"
                      + (f"; {k['errors']} errors" if k["errors"] else ""), mark(met)])
single = results.result("keyport-sqlite", "query-1000-devices-1client")
goals.append(["`/keys/query` for 1,000 devices, one client: p50 < 10 ms (Keyport SQLite)",
              f"p50 {single['p50']:.1f} ms, p99 {single['p99']:.1f} ms" if single else "—",
              mark(single and single["p50"] < 10 and single["errors"] == 0, bool(single))])
for keyport, synapse in [("keyport-sqlite", "synapse-sqlite"), ("keyport-sqlite", "synapse-pg")]:
    if keyport in results.memory and synapse in results.memory:
        k, s = results.memory[keyport][0], results.memory[synapse][0]
        goals.append([f"resident memory: {name(keyport)} ≤ 1/5 of {name(synapse)}",
                      f"{k / 1024:.0f} MiB vs {s / 1024:.0f} MiB ({k / s:.2f}×)", mark(k * 5 <= s)])
for label in ceiling_labels:
    whoami, versions = results.result(label, "noop-whoami"), results.result(label, "noop-versions")
    claim = results.result(label, "claim")
    if claim:
        share = claim["throughput"] / whoami["throughput"]
        goals.append([f"claim ≥ 50% of the authenticated no-op ({name(label)})", f"{share:.0%}", mark(share >= 0.5)])
    share = whoami["throughput"] / versions["throughput"]
    goals.append([f"authenticated no-op ≥ 50% of the unauthenticated one ({name(label)})", f"{share:.0%}",
                  mark(share >= 0.5)])
    if hello:
        share = versions["throughput"] / hello["throughput"]
        goals.append([f"unauthenticated no-op ≥ 2/3 of the hello-world ({name(label)})", f"{share:.0%}",
                      mark(share >= 2 / 3)])
fanout = results.fanout.get(1000)
goals.append(["a device change reaches 1,000 destination servers in < 5 s (every round)",
              f"slowest round {fanout['max'] / 1000:.2f} s" + (f"; {fanout['errors']} missing" if fanout["errors"] else "")
              if fanout else "—", mark(fanout and fanout["max"] < 5000 and fanout["errors"] == 0, bool(fanout))])
if goals:
    print("Goals (issue 16), from this run alone:")
    print()
    table(["goal", "this run", ""], goals)
