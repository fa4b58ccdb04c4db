#!/usr/bin/env python3
"""Counts the response statuses of each contract run, from its HAR report.

Usage: contract_statuses.py HAR_DIR TOKEN_DIR RUN...
  HAR_DIR/RUN.har is the run's HAR report (written without sanitization);
  TOKEN_DIR/RUN holds the access token the run was given (none: anonymous).

Prints the counts per run (the evidence that each run reached the server as
the caller it claims to be), then fails when:
  - a run recorded fewer than MIN_RESPONSES responses (it tested nothing);
  - a run with a token got more than MAX_401_SHARE of its responses as 401,
    or no 2xx at all: its token was refused, so its "passed" meant nothing;
  - a run with a token sent fewer than MIN_RESPONSES requests with it, or got
    any 401 on a request that carried that very token,
    outside login and refresh (which check the credentials in their body).
    schemathesis's own probes without a token or with a made-up one are
    expected to get 401 and are counted apart;
  - the anonymous run got a 2xx outside the operations that need no token.
Standard library only.
"""
import collections, json, os, sys
from urllib.parse import urlparse

MIN_RESPONSES = 50
MAX_401_SHARE = 0.20
# Answer without a token, by design (SPEC §3).
PUBLIC_PATHS = {"/api/v1/auth/login", "/api/v1/auth/refresh", "/healthz", "/readyz", "/openapi.json"}
CREDENTIAL_PATHS = {"/api/v1/auth/login", "/api/v1/auth/refresh"}


def entries(path):
    """The HAR's entries; of a cut-off file, every complete one.

    schemathesis writes its report from a thread that it waits for only 10 s
    at exit, so on a loaded machine the HAR can end mid-entry. The complete
    entries still count; the note says how far the file went."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return json.loads(text)["log"]["entries"], False
    except json.JSONDecodeError:
        pass
    decoder, found = json.JSONDecoder(), []
    pos = text.index('"entries"')
    pos = text.index("[", pos) + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        try:
            entry, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return found, True
        found.append(entry)


def responses(har):
    for entry in har:
        request = entry["request"]
        auth = [h["value"] for h in request["headers"] if h["name"].lower() == "authorization"]
        yield request["method"], urlparse(request["url"]).path, entry["response"]["status"], auth


def token_of(token_dir, run):
    try:
        with open(os.path.join(token_dir, run), encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


def main(har_dir, token_dir, runs):
    failures = []
    print("contract: response statuses per run")
    for run in runs:
        har, cut = entries(os.path.join(har_dir, run + ".har"))
        if cut:
            print("  %-15s (its HAR was cut off after %d entries; those are counted)" % (run, len(har)))
        seen = list(responses(har))
        token = token_of(token_dir, run)
        counts = collections.Counter(status for _, _, status, _ in seen)
        total = sum(counts.values())
        share_401 = counts[401] / total if total else 1.0
        ok = sum(n for status, n in counts.items() if 200 <= status < 300)
        shown = " ".join("%d:%d" % (status, n) for status, n in sorted(counts.items()))
        refused = collections.Counter(
            (m, p) for m, p, s, auth in seen
            if s == 401 and token and auth == ["Bearer " + token] and p not in CREDENTIAL_PATHS)
        carried = sum(1 for _, _, _, auth in seen if token and auth == ["Bearer " + token])
        own = "" if token is None else ", %d of %d with its token" % (sum(refused.values()), carried)
        print("  %-15s %5d responses, %4.1f%% 401%s | %s" % (run, total, 100 * share_401, own, shown))
        if total < MIN_RESPONSES:
            failures.append("%s: only %d responses (at least %d expected)" % (run, total, MIN_RESPONSES))
        if token is None:
            leaks = sorted({(m, p, s) for m, p, s, _ in seen if 200 <= s < 300 and p not in PUBLIC_PATHS})
            for method, path, status in leaks:
                failures.append("%s: %s %s answered %d without a token" % (run, method, path, status))
            continue
        # Else the own-token check below would hold for want of requests.
        if carried < MIN_RESPONSES:
            failures.append("%s: only %d requests carried its token" % (run, carried))
        if refused:
            examples = ", ".join("%s %s" % key for key, _ in refused.most_common(3))
            failures.append("%s: its own token was refused (401) %d times, e.g. %s"
                            % (run, sum(refused.values()), examples))
        if share_401 > MAX_401_SHARE:
            failures.append("%s: %.1f%% of responses are 401 (at most %d%% allowed): its token was refused"
                            % (run, 100 * share_401, 100 * MAX_401_SHARE))
        if ok == 0:
            failures.append("%s: no 2xx response at all" % run)
    for failure in failures:
        print("contract: FAIL " + failure)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
