#!/usr/bin/env python3
"""Seeds a running sanshen for the contract run and prints one token per role.

Usage: contract_setup.py BASE_URL ADMIN_PASSWORD  →  lines "role=<access token>".
Standard library only.
"""
import json, sys, urllib.request

base, admin_password = sys.argv[1].rstrip("/") + "/api/v1", sys.argv[2]
PASSWORD = "contract-run-passphrase-三审三校"


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req) as res:
        text = res.read()
        return json.loads(text) if text else None


def login(username, password=PASSWORD):
    return call("POST", "/auth/login", body={"username": username, "password": password})["access_token"]


admin = login("admin", admin_password)
roles = {"editor": ["editor"], "signer": ["review_1", "proofread_1"], "publisher": ["publisher"], "auditor": ["auditor"]}
tokens = {"admin": admin}
for name, grants in roles.items():
    user = call("POST", "/users", admin, {"username": "contract." + name, "display_name": name, "password": PASSWORD})
    for role in grants:
        call("POST", "/users/%s/grants" % user["id"], admin, {"role": role})
    tokens[name] = login("contract." + name)
# Data for the reads to find: one draft in review, one still a draft.
draft = call("POST", "/drafts", tokens["editor"], {"channel": "portal", "title": "合同测试稿件", "body": "正文", "format": "text"})
call("POST", "/drafts/%s/submit" % draft["id"], tokens["editor"], {"content_hash": draft["content_hash"]})
call("POST", "/drafts", tokens["editor"], {"channel": "wechat_official", "title": "草稿", "body": "正文", "format": "markdown"})
for role, token in tokens.items():
    print("%s=%s" % (role, token))
