#!/usr/bin/env python3
"""The console in headless chromium: a leader signs 终审 on a phone.

Usage: console_browser.py BASE_URL ADMIN_PASSWORD SCREENSHOT_DIR

Seeds a newsroom through the API (an author, a signer per stage, the
leader "leader.zhang" holding review_3), puts a markdown draft through two
revisions and the first four stages, then drives the console with scripts
off in the page at 375×812: login, tasks, the draft, ticks the six checks,
signs, and checks that the draft moved to 三校. Fails on any console
message (a Content-Security-Policy violation shows up there).
"""
import json
import sys
import urllib.request

from playwright.sync_api import sync_playwright

PASSWORD = "console-browser-passphrase-网审"
STAGES = ["review_1", "proofread_1", "review_2", "proofread_2", "review_3", "proofread_3"]
CHECKS = ["political", "legal", "policy", "secrecy", "language", "public_opinion"]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BODY_1 = """各科室：

根据上级部署，现就开展**2026年度安全生产检查**通知如下：

1. 各科室于12月15日前完成自查；
2. 检查结果报办公室汇总。

联系人：王芳，电话 010-1234567。
"""
BODY_2 = BODY_1.replace("12月15日", "12月20日").replace(
    "2. 检查结果报办公室汇总。", "2. 检查结果报办公室汇总；\n3. 发现的问题限期整改。")


def call(base, method, path, token=None, body=None, if_match=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    if if_match:
        req.add_header("if-match", '"%s"' % if_match)
    with urllib.request.urlopen(req) as res:
        text = res.read()
        return json.loads(text) if text else None


def login(base, username, password=PASSWORD):
    return call(base, "POST", "/auth/login", body={"username": username, "password": password})["access_token"]


def user(base, admin, username, name, roles):
    u = call(base, "POST", "/users", admin, {"username": username, "display_name": name, "password": PASSWORD})
    for role in roles:
        call(base, "POST", "/users/%s/grants" % u["id"], admin, {"role": role})
    return login(base, username)


def seed(base, admin_password):
    """A draft at 终审 whose text changed once after a return."""
    admin = login(base, "admin", admin_password)
    author = user(base, admin, "wang.fang", "王芳", ["editor"])
    signers = {s: user(base, admin, "signer." + s, s, [s]) for s in STAGES if s != "review_3"}
    user(base, admin, "leader.zhang", "张主任", ["review_3"])
    d = call(base, "POST", "/drafts", author, {"channel": "portal", "title": "关于开展2026年度安全生产检查的通知",
                                               "summary": "各科室于12月20日前完成自查", "body": BODY_1,
                                               "format": "markdown", "risk_level": "important"})
    call(base, "POST", "/drafts/%s/submit" % d["id"], author, {"content_hash": d["content_hash"]})
    call(base, "POST", "/drafts/%s/return" % d["id"], signers["review_1"],
         {"stage": "review_1", "content_hash": d["content_hash"], "reason": "自查时间与上级文件不一致"})
    d = call(base, "PUT", "/drafts/%s/content" % d["id"], author,
             {"title": d["current"]["title"], "summary": d["current"]["summary"], "body": BODY_2,
              "format": "markdown"}, if_match=d["content_hash"])
    call(base, "POST", "/drafts/%s/submit" % d["id"], author, {"content_hash": d["content_hash"]})
    for stage in ["review_1", "proofread_1", "review_2", "proofread_2"]:
        body = {"stage": stage, "content_hash": d["content_hash"], "comment": "同意"}
        if stage.startswith("review"):
            body["checks"] = CHECKS
        call(base, "POST", "/drafts/%s/approve" % d["id"], signers[stage], body)
    return d["id"], author


def main():
    base, admin_password, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    draft_id, author = seed(base, admin_password)
    messages = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2,
                                      java_script_enabled=False, is_mobile=True, has_touch=True, locale="zh-CN")
        page = context.new_page()
        page.on("console", lambda m: messages.append("%s: %s" % (m.type, m.text)))
        page.goto(base + "/console/login")
        page.screenshot(path=shots + "/01-login.png")
        page.fill("#username", "leader.zhang")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/console/tasks")
        page.screenshot(path=shots + "/02-tasks.png", full_page=True)
        page.click("a.task[href='/console/drafts/%s']" % draft_id)
        page.wait_for_url("**/console/drafts/%s" % draft_id)
        page.screenshot(path=shots + "/03-draft.png")
        page.screenshot(path=shots + "/04-draft-full.png", full_page=True)
        assert "终审 Review 3" in page.inner_text("#sign h2"), "the sign form names 终审"
        for check in CHECKS:
            page.check("input[name=checks][value=%s]" % check)
        page.fill("#comment", "同意发布。")
        page.locator("#sign").screenshot(path=shots + "/05-ticked.png")
        page.click("#sign form button.primary")
        page.wait_for_url("**/console/drafts/%s?done=approved" % draft_id)
        page.screenshot(path=shots + "/06-signed.png")
        notice = page.inner_text("p.notice.ok")
        assert "It is now at 三校 Proofread 3" in notice, notice
        browser.close()
    after = call(base, "GET", "/drafts/%s" % draft_id, author)
    assert after["current_stage"] == "proofread_3", after["current_stage"]
    signed = [s for s in after["signoffs"] if s["stage"] == "review_3"]
    assert [s["signer"] for s in signed] == ["leader.zhang"] and signed[0]["checks"] == CHECKS, signed
    assert not messages, "browser console: %s" % messages
    print("console_browser: leader.zhang signed 终审 in chromium at 375x812 with scripts off; "
          "the draft moved to proofread_3; screenshots in %s" % shots)


if __name__ == "__main__":
    main()
