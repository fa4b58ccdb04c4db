"""schemathesis hooks for scripts/contract (loaded through SCHEMATHESIS_HOOKS).

POST /audit/sweep takes NDJSON (application/x-ndjson), one JSON item per
line, which schemathesis cannot serialize by itself: a generated item (an
object, or a list of them) goes out as one line per item. Anything else
(a string, a number) goes out as its JSON text on one line, which the server
must refuse as "not such an item", never take.
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    items = value if isinstance(value, list) else [value]
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode("utf-8")
