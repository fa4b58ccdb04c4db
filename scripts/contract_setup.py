#!/usr/bin/env python3
"""Seeds a running sanshen for the contract run, and mints tokens for it.

Usage:
  contract_setup.py seed BASE_URL ADMIN_PASSWORD
      creates one user per role and a throwaway user ("victim") for the
      admin's account operations; prints "CONTRACT_VICTIM_ID=<its id>".
  contract_setup.py login BASE_URL ROLE [PASSWORD]
      prints a fresh access token of that role's user (a new session, so no
      earlier run can have revoked it).
Standard library only.
"""
import json, sys, urllib.request

PASSWORD = "contract-run-passphrase-三审三校"
ROLES = {"editor": ["editor"], "signer": ["review_1", "proofread_1"], "publisher": ["publisher"], "auditor": ["auditor"]}


def call(base, method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        text = res.read()
        return json.loads(text) if text else None


def username(role):
    return "admin" if role == "admin" else "contract." + role


def login(base, role, password=PASSWORD):
    body = {"username": username(role), "password": password}
    return call(base, "POST", "/auth/login", body=body)["access_token"]


def seed(base, admin_password):
    admin = login(base, "admin", admin_password)
    tokens = {}
    for name, grants in ROLES.items():
        user = call(base, "POST", "/users", admin, {"username": username(name), "display_name": name, "password": PASSWORD})
        for role in grants:
            call(base, "POST", "/users/%s/grants" % user["id"], admin, {"role": role})
        tokens[name] = login(base, name)
    # The admin's account operations (password reset, grant removal) are
    # fuzzed against this user only: on the admin itself they would end the
    # admin's own session or role in the middle of its run.
    victim = call(base, "POST", "/users", admin, {"username": username("victim"), "display_name": "victim", "password": PASSWORD})
    call(base, "POST", "/users/%s/grants" % victim["id"], admin, {"role": "editor"})
    # Data for the reads to find: one draft in review, one still a draft.
    editor = tokens["editor"]
    draft = call(base, "POST", "/drafts", editor, {"channel": "portal", "title": "合同测试稿件", "body": "正文", "format": "text"})
    call(base, "POST", "/drafts/%s/submit" % draft["id"], editor, {"content_hash": draft["content_hash"]})
    call(base, "POST", "/drafts", editor, {"channel": "wechat_official", "title": "草稿", "body": "正文", "format": "markdown"})
    print("CONTRACT_VICTIM_ID=%s" % victim["id"])


def main(argv):
    if len(argv) == 4 and argv[1] == "seed":
        seed(argv[2].rstrip("/") + "/api/v1", argv[3])
    elif len(argv) in (4, 5) and argv[1] == "login":
        print(login(argv[2].rstrip("/") + "/api/v1", argv[3], *argv[4:]))
    else:
        sys.exit(__doc__)


main(sys.argv)
