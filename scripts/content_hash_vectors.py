#!/usr/bin/env python3
"""Computes content_hash test vectors independently of the server code.

content_hash = sha256(JCS({"body","channel","format","summary","title"})).
For objects of strings with ASCII keys, RFC 8785 is exactly Python's
json.dumps with sorted keys, no whitespace and ensure_ascii=False: both
escape only '"', '\\' and controls below U+0020 (\b \f \n \r \t short,
the rest as lowercase \\u00xx), and leave '/', U+007F and non-ASCII as is.
"""
import hashlib
import json

VECTORS = [
    ("portal", "通知", "", "正文", "text"),
    ("wechat_official", "关于开展2026年度安全生产检查的通知", "各科室于12月15日前完成自查", "各科室：\n根据上级部署……", "markdown"),
    ("qq_group", "emoji 🎉👍🏽", "astral 𠀀", "<p>\"quoted\" & 'single'</p>", "html"),
    ("portal", "back\\slash / slash", "tab\there", "line\r\nbreak\u0001\u001f\u007f\b\f", "text"),
    ("wechat_group", "t", "", "\u2028\u2029 separators and \ufeff BOM", "text"),
]


def jcs(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


for channel, title, summary, body, fmt in VECTORS:
    doc = {"body": body, "channel": channel, "format": fmt, "summary": summary, "title": title}
    print(hashlib.sha256(jcs(doc).encode("utf-8")).hexdigest(), json.dumps(doc, ensure_ascii=True))
