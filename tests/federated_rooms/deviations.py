"""Known ways a homeserver implementation departs from the spec that a scenario runs into.

A scenario asserts the spec's behaviour, except that where the server in question declares one of
these deviations it asserts the deviating behaviour exactly instead (so a change in that server is
noticed too) and records a note saying so in the result. Nothing here is a tolerance: each entry is
what the server does, checked as precisely as the spec's behaviour would be.
"""

# Synapse 1.163: when a user's leave takes the last local user out of a room, Synapse deletes the
# room's current state (storage/databases/main/events.py, `no_longer_in_room`) before the leaver's
# next /sync works out `device_lists.left` from the members of the rooms it left — so that sync
# lists nobody, not even the remote users the leaver no longer shares any room with, whom the spec
# says belong in `left`. Observed in the `leave` scenario on the leaver's side.
LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES = "leaver-misses-left-when-server-leaves"

# Synapse 1.163: a client's /keys/query for a remote user whose device list is being resynced
# (an m.device_list_update EDU with unknown prev_id started a background /user/devices fetch) can
# answer `failures: {"<server>": {"status": 503, "message": "'devices'"}}`: the query also decides
# to resync, waits behind the background one, then finds the cache filled and gets the cached
# devices back in another shape than it indexes ("devices" — handlers/device.py
# `_user_device_resync_returning_failed` vs handlers/e2e_keys.py `_query_devices_for_destination`).
# A KeyError turned into a failure for the whole remote server; the next query works. The
# `/keys/query` checks (device_checks.py) query again when exactly this failure comes back from a
# server declaring it, and note each occurrence; any other failure fails the scenario.
KEYS_QUERY_RESYNC_RACE = "keys-query-resync-race"
KEYS_QUERY_RESYNC_RACE_FAILURE = {"status": 503, "message": "'devices'"}

DESCRIPTIONS = {
    LEAVER_MISSES_LEFT_WHEN_SERVER_LEAVES:
        "the leaver's device_lists.left is empty when the leave takes its server out of the room "
        "(Synapse deletes the room's current state first); the spec wants the other members in it",
    KEYS_QUERY_RESYNC_RACE:
        "/keys/query answered failures {status: 503, message: \"'devices'\"} for the remote server while an "
        "EDU-triggered device-list resync ran (a KeyError in Synapse); queried again",
}


def note(deviation: str, server_description: str) -> str:
    return f"KNOWN DEVIATION of {server_description}: {DESCRIPTIONS[deviation]}"
