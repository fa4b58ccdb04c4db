#!/usr/bin/env python3
"""Verify a sanshen NDJSON audit export offline (standard library only).

Usage: python3 verify_audit.py export.ndjson   (or read standard input)
Each event's hash is SHA-256 of the RFC 8785 (JCS) form of the event without
"hash"; for these events (ASCII keys, strings, integers, null) JCS is exactly
json.dumps with sorted keys, no whitespace and ensure_ascii=False. Each event
links to the previous one's hash; the first to 64 zeros.
"""
import hashlib, json, sys

prev, expected_seq, n = "0" * 64, 1, 0
for line in (open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin):
    if not line.strip():
        continue
    event = json.loads(line)
    body = {k: v for k, v in event.items() if k != "hash"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    for ok, why in ((event["seq"] == expected_seq, "seq out of order"), (event["prev_hash"] == prev, "broken link"), (digest == event["hash"], "hash mismatch")):
        if not ok:
            print(f"INVALID at seq {event['seq']}: {why}")
            sys.exit(1)
    prev, expected_seq, n = event["hash"], event["seq"] + 1, n + 1
print(f"valid: {n} events, head seq {expected_seq - 1} hash {prev}")
