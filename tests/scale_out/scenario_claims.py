"""1,000 concurrent one-time-key claims spread over the three processes hand out no key twice.

Five target devices each upload 210 signed one-time keys and a fallback key; 1,000 claims (200 per
target, from ten claiming users, round-robin over A, B and C) start together. Passing means: every
claim got exactly one of its target's uploaded one-time keys, byte for byte, never the fallback key;
no key was handed out twice; each process served its third of the claims and counted exactly that
many one-time keys and no fallback in its own metrics (so the claims really were spread); and each
target has exactly its 10 spare keys left.
"""

import asyncio
import time
from collections import Counter

from cluster import LABELS, sample
from matrix_http import Device
from metrics_scrape import delta

TARGETS = 5
CLAIMS = 1000
SPARE = 10  # one-time keys per target left after the claims
CLAIMERS = 10
ROUTE = "/_matrix/client/v3/keys/claim"


async def claims(ctx) -> None:
    http, cluster = ctx.http, ctx.cluster
    per_target = CLAIMS // TARGETS
    targets: list[Device] = []
    uploaded: dict[str, dict[str, dict]] = {}  # device id -> key id -> signed key
    for n in range(TARGETS):
        url = cluster.url(LABELS[n % len(LABELS)])
        device = await http.register(url, f"claim_target{n}")
        keys = device.one_time_keys(per_target + SPARE, prefix="otk")
        answer = await http.upload_keys(url, device, device_keys=True, one_time_keys=keys,
                                        fallback_keys=device.fallback_key("fallback"))
        assert answer["one_time_key_counts"].get("signed_curve25519") == per_target + SPARE, answer
        targets.append(device)
        uploaded[device.device_id] = keys
    claimers = [await http.register(cluster.url(LABELS[n % len(LABELS)]), f"claimer{n}") for n in range(CLAIMERS)]

    before = {label: await asyncio.to_thread(cluster.metrics, label) for label in LABELS}
    start = asyncio.Event()

    async def claim(number: int) -> tuple[str, Device, dict]:
        label, target = LABELS[number % len(LABELS)], targets[number % TARGETS]
        await start.wait()
        answer = await http.call(cluster.url(label), "POST", "/keys/claim", claimers[number % CLAIMERS],
                                 {"one_time_keys": {target.user_id: {target.device_id: "signed_curve25519"}}})
        return label, target, answer

    tasks = [asyncio.create_task(claim(number)) for number in range(CLAIMS)]
    await asyncio.sleep(0.1)  # every task is waiting on the event
    began = time.monotonic()
    start.set()
    results = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    after = {label: await asyncio.to_thread(cluster.metrics, label) for label in LABELS}

    served: Counter[str] = Counter()
    handed_out: Counter[tuple[str, str]] = Counter()
    problems: list[str] = []
    for label, target, answer in results:
        served[label] += 1
        keys = answer.get("one_time_keys", {}).get(target.user_id, {}).get(target.device_id, {})
        if answer.get("failures") or len(keys) != 1:
            problems.append(f"claim on {label} for {target.device_id} answered {answer}")
            continue
        (key_id, key), = keys.items()
        handed_out[(target.device_id, key_id)] += 1
        if key.get("fallback"):
            problems.append(f"claim on {label} for {target.device_id} got the fallback key {key_id}")
        elif uploaded[target.device_id].get(key_id) != key:
            problems.append(f"claim on {label} for {target.device_id} got {key_id}, not an uploaded one-time key")
    twice = {key: count for key, count in handed_out.items() if count > 1}
    print(f"  {CLAIMS} claims in {elapsed:.1f} s, served by A/B/C: "
          f"{'/'.join(str(served[label]) for label in LABELS)}; {len(handed_out)} distinct keys handed out")
    assert not twice, f"{len(twice)} one-time keys handed out more than once, e.g. {list(twice.items())[:5]}"
    assert not problems, f"{len(problems)} bad claims, e.g. {problems[:5]}"
    assert len(handed_out) == CLAIMS, f"{len(handed_out)} distinct keys for {CLAIMS} claims"

    for label in LABELS:
        share = served[label]
        one_time = delta(before[label], after[label], "keyport_keys_claimed_total", kind="one_time_key")
        fallback = delta(before[label], after[label], "keyport_keys_claimed_total", kind="fallback")
        requests = delta(before[label], after[label], "keyport_http_requests_total", route=ROUTE, method="POST",
                         status="200")
        assert (one_time, fallback, requests) == (share, 0, share), (
            f"process {label} counted {one_time:g} one-time keys, {fallback:g} fallbacks and {requests:g} claim "
            f"requests in its metrics; it was sent {share} claims")
        assert sample(after[label], "keyport_process_resident_memory_bytes") > 0, f"no metrics from {label}"

    for number, target in enumerate(targets):
        label = LABELS[(number + 1) % len(LABELS)]  # ask another process than the one that took the upload
        counts = (await http.upload_keys(cluster.url(label), target))["one_time_key_counts"]
        assert counts.get("signed_curve25519") == SPARE, f"{target.device_id} has {counts} left, expected {SPARE}"
