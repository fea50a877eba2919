#!/usr/bin/env python3
"""Drives the commerce API of a running `rcommerce serve` over HTTPS.

Usage: commerce_client.py PORT CA_FILE DB_FILE
Keys come from the environment: RC_ADMIN (read,write,admin), RC_WRITER
(read,write), RC_READER (read). Every situation of the commerce cases and the
issue's concurrency rules is one function below; the database file is read
(read-only) to check what the API must not show: alert rows, that nothing
was half-written. Standard library only.
"""
import concurrent.futures
import http.client
import json
import os
import socket
import sqlite3
import ssl
import sys

PORT = int(sys.argv[1])
CONTEXT = ssl.create_default_context(cafile=sys.argv[2])
DB_FILE = sys.argv[3]
ADMIN = os.environ["RC_ADMIN"]
WRITER = os.environ["RC_WRITER"]
READER = os.environ["RC_READER"]

FAILURES = []
CHECKS = [0]


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw
        try:
            self.json = json.loads(raw) if raw else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"{self.status} {self.raw[:400]!r}"


def call(method, path, body=None, key=ADMIN, headers=None, raw=None):
    connection = http.client.HTTPSConnection("localhost", PORT, context=CONTEXT, timeout=60)
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = "Bearer " + key
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    result = Response(response.status, dict(response.getheaders()), response.read())
    connection.close()
    return result


def bare_call(method, path, key=ADMIN, headers=None, body=b""):
    """A request with exactly these headers: no Content-Length unless given,
    as `curl -X POST` sends a request without a body."""
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    if key is not None:
        lines.append("Authorization: Bearer " + key)
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    raw = socket.create_connection(("127.0.0.1", PORT), timeout=60)
    with CONTEXT.wrap_socket(raw, server_hostname="localhost") as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError(f"connection closed before a response: {data!r}")
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        fields = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields[name.strip()] = value.strip()
        length = int(fields.get("Content-Length", "0"))
        while len(rest) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    return Response(int(head.split(b" ")[1]), fields, rest[:length])


def check(condition, label, detail=""):
    CHECKS[0] += 1
    if not condition:
        FAILURES.append(f"{label}: {detail}")
        print(f"FAIL: {label}: {detail}", file=sys.stderr)


def expect(response, status, label, code=None):
    check(response.status == status, label, f"expected {status}, got {response!r}")
    if code is not None:
        got = (response.json or {}).get("code")
        check(got == code, label + " (code)", f"expected code {code}, got {response!r}")
        check(response.headers.get("Content-Type", "").startswith("application/problem+json"),
              label + " (problem+json)", str(response.headers))
    return response


def fields_of(response):
    return [e["field"] for e in (response.json or {}).get("errors", [])]


def db_rows(sql, *args):
    connection = sqlite3.connect(f"file:{DB_FILE}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def count(table):
    return db_rows(f"SELECT count(*) FROM {table}")[0][0]


def level(sku, location="WH1"):
    r = call("GET", f"/api/v1/inventory/{sku}?location={location}", key=READER)
    expect(r, 200, f"read level of {sku}")
    return r.json["data"][0]


def new_sku(sku, stock, price=1000, currency="EUR", backorder=False):
    r = call("POST", "/api/v1/products", {
        "title": f"Product {sku}",
        "variants": [{"sku": sku, "price": {"amount": price, "currency": currency},
                      "allow_backorder": backorder}]})
    expect(r, 201, f"create product {sku}")
    if stock:
        r = call("POST", "/api/v1/inventory/adjustments",
                 {"sku": sku, "location": "WH1", "reason": "receive", "quantity": stock})
        expect(r, 201, f"receive {stock} of {sku}")
    return r


def order(lines, key=WRITER, headers=None, currency="EUR", **extra):
    body = {"currency": currency,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines]}
    body.update(extra)
    return call("POST", "/api/v1/orders", body, key=key, headers=headers)


def parallel(count_, work):
    with concurrent.futures.ThreadPoolExecutor(max_workers=count_) as pool:
        return list(pool.map(work, range(count_)))


# --- situations ----------------------------------------------------------------

def setup():
    expect(call("POST", "/api/v1/locations", {"code": "WH1", "name": "Main warehouse"}), 201,
           "create location WH1")
    expect(call("POST", "/api/v1/locations", {"code": "WH2", "name": "Shop",
                                              "low_stock_threshold": 4}), 201,
           "create location WH2")


def auth_rules():
    r = expect(call("GET", "/api/v1/products", key=None), 401, "no key", "missing_api_key")
    check("Bearer" in r.headers.get("WWW-Authenticate", ""), "401 names the Bearer scheme")
    expect(call("GET", "/api/v1/products", key="rk_live_nope"), 401, "malformed key",
           "invalid_api_key")
    forged = ADMIN[:-4] + ("AAAA" if not ADMIN.endswith("AAAA") else "BBBB")
    expect(call("GET", "/api/v1/products", key=forged), 401, "right prefix, wrong secret",
           "invalid_api_key")
    expect(call("GET", "/api/v1/products", key=READER), 200, "read key reads")
    expect(call("POST", "/api/v1/products", {"title": "x"}, key=READER), 403,
           "read key cannot write", "insufficient_scope")
    expect(call("POST", "/api/v1/inventory/adjustments",
                {"sku": "X", "location": "WH1", "reason": "receive", "quantity": 1},
                key=WRITER), 403, "write key cannot adjust stock", "insufficient_scope")
    expect(call("POST", "/api/v1/orders/1/payments", {"gateway": "manual"}, key=WRITER), 403,
           "write key cannot record payments", "insufficient_scope")


def validation_rules():
    before = (count("products"), count("variants"), count("orders"), count("order_lines"))
    expect(call("POST", "/api/v1/products", raw="{\"title\": "), 400, "truncated JSON",
           "malformed_json")
    expect(call("POST", "/api/v1/products", raw="[" * 20000 + "]" * 20000), 400,
           "deeply nested JSON", "malformed_json")
    r = expect(call("POST", "/api/v1/products", raw="[1, 2]"), 422,
               "JSON that is not an object", "validation_failed")
    check(r.json.get("detail") == "the body must be a JSON object",
          "the detail of a non-object body has no empty field name in front", r)
    # Media types are case-insensitive and may carry parameters (RFC 9110).
    for content_type in ["APPLICATION/JSON", "application/json; charset=utf-8",
                         "Application/Json;charset=UTF-8"]:
        expect(call("POST", "/api/v1/products", {"title": "Typed " + content_type},
                    headers={"Content-Type": content_type}), 201,
               f"Content-Type: {content_type} is JSON")
    expect(call("POST", "/api/v1/products", raw="{}",
                headers={"Content-Type": "multipart/form-data"}), 415,
           "multipart/form-data without a boundary", "unsupported_media_type")
    expect(call("POST", "/api/v1/products",
                raw="--xyz\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nT\r\n"
                    "--xyz--\r\n",
                headers={"Content-Type": "multipart/form-data; boundary=xyz"}), 415,
           "a well-formed multipart/form-data body", "unsupported_media_type")
    expect(call("POST", "/api/v1/products", raw="{}", headers={"Content-Type": "text/plain"}),
           415, "text/plain", "unsupported_media_type")
    r = expect(call("POST", "/api/v1/products", {"title": 5, "variants": [
        {"sku": "BAD-1", "price": {"amount": "12", "currency": "EUR"}},
        {"sku": "BAD-2", "price": {"amount": 12.5, "currency": "EUR"}},
        {"sku": "BAD-3", "price": {"amount": 100, "currency": "XYZ"}},
        {"sku": "BAD-4", "price": {"amount": 10 ** 30, "currency": "EUR"}},
        {"sku": "BAD-5", "price": {"amount": -1, "currency": "EUR"}}]}), 422,
        "wrong types, unknown currency, huge and negative amounts", "validation_failed")
    for field in ["title", "variants[0].price.amount", "variants[1].price.amount",
                  "variants[2].price.currency", "variants[3].price.amount",
                  "variants[4].price.amount"]:
        check(field in fields_of(r), f"the problem names {field}", r)
    codes = {e["field"]: e.get("code") for e in r.json.get("errors", [])}
    check(codes.get("title") == "validation_failed"
          and codes.get("variants[1].price.amount") == "invalid_amount"
          and codes.get("variants[2].price.currency") == "unknown_currency",
          "each listed field keeps its own code", codes)
    # Alone, a wrong amount or currency is answered with its specific code.
    for amount in ["12.99", "1e3", '"12"']:
        r = expect(call("POST", "/api/v1/products", raw='{"title": "A", "variants": [{"sku": '
                        '"AMT-1", "price": {"amount": %s, "currency": "EUR"}}]}' % amount),
                   422, f"amount {amount}", "invalid_amount")
        check(fields_of(r) == ["variants[0].price.amount"], f"amount {amount} names the field", r)
    for code in ["XYZ", "HRK", "XAU"]:
        r = expect(call("POST", "/api/v1/products", {"title": "A", "variants": [
            {"sku": "CUR-1", "price": {"amount": 100, "currency": code}}]}), 422,
            f"currency {code}", "unknown_currency")
        check(code in r.json.get("detail", ""), f"currency {code} is named", r)
    r = expect(call("POST", "/api/v1/products", {"title": "T", "variants": [
        {"sku": "BAD 6", "price": {"amount": 1, "currency": "EUR"}}]}), 422,
        "a SKU with a space", "validation_failed")
    check("variants[0].sku" in fields_of(r), "the problem names the SKU", r)
    new_sku("VAL-1", 5)
    before = (count("products"), count("variants"), count("orders"), count("order_lines"))
    for quantity in [0, -3, 10 ** 25, "2", 1.5, True]:
        r = expect(order([("VAL-1", quantity)]), 422, f"quantity {quantity!r}",
                   "validation_failed")
        check("lines[0].quantity" in fields_of(r), f"quantity {quantity!r} names the field", r)
    r = expect(order([("VAL-1", 1)], total={"amount": 1, "currency": "EUR"}), 422,
               "a client-sent total is refused", "validation_failed")
    check("total" in fields_of(r), "the problem names total", r)
    r = expect(order([("VAL-1", 1)], currency="eur"), 422, "lower-case currency",
               "unknown_currency")
    check("currency" in fields_of(r), "the problem names currency", r)
    check(r.json.get("hint") == 'use "EUR"', "the lower-case currency's hint", r)
    expect(order([("VAL-1", 1)], currency="HRK"), 422, "a withdrawn currency", "unknown_currency")
    expect(order([("VAL-1", 1)], currency="USD"), 422, "SKU priced in another currency",
           "currency_mismatch")
    expect(order([("NO-SUCH-SKU", 1)]), 422, "unknown SKU", "sku_not_found")
    # docs/api.md's example: every wrong field in one answer.
    r = expect(order([("VAL-1", 0)], currency="eur"), 422,
               "a lower-case currency and a zero quantity", "validation_failed")
    check({"currency", "lines[0].quantity"} <= set(fields_of(r)),
          "both problems are listed together", r)
    r = expect(order([("NO-SUCH-SKU", 1), ("VAL-1", 1), ("NOR-THIS", 2)], customer_id=999999),
               422, "unknown SKUs and customer", "validation_failed")
    check({"lines[0].sku", "lines[2].sku", "customer_id"} <= set(fields_of(r)),
          "every unknown SKU and the customer are listed together", r)
    expect(order([]), 422, "no lines", "validation_failed")
    after = (count("products") - 1, count("variants") - 1, count("orders"), count("order_lines"))
    check(before[2:] == after[2:], "refused orders wrote nothing", f"{before} -> {after}")
    check(level("VAL-1")["reserved"] == 0, "refused orders reserved nothing")
    # Currency decimals: JPY has none, KWD three; amounts are minor units.
    r = expect(call("POST", "/api/v1/products", {"title": "Tea", "variants": [
        {"sku": "TEA-JP", "price": {"amount": 1500, "currency": "JPY"}},
        {"sku": "TEA-KW", "price": {"amount": 1250, "currency": "KWD"}}]}), 201,
        "JPY and KWD prices")
    check(r.json["variants"][0]["price"] == {"amount": 1500, "currency": "JPY"}, "JPY kept", r)
    expect(call("GET", "/api/v1/products/99999"), 404, "unknown product", "product_not_found")
    # Every problem at once: shape errors and core rules in one answer.
    r = expect(call("POST", "/api/v1/products", {"title": "", "variants": [
        {"sku": "", "price": {"amount": -1, "currency": "EUR"}}, 7,
        {"sku": "DUP-IN-REQ", "price": {"amount": 1, "currency": "EUR"}},
        {"sku": "DUP-IN-REQ", "price": {"amount": 1, "currency": "EUR"}}]}), 422,
        "an empty title, an empty SKU, a negative price and a repeated SKU", "validation_failed")
    for field in ["title", "variants[0].sku", "variants[0].price.amount", "variants[1]",
                  "variants[3].sku"]:
        check(field in fields_of(r), f"the combined problem names {field}", r)
    # A taken SKU names the variant and product that hold it.
    r = expect(call("POST", "/api/v1/products", {"title": "Again", "variants": [
        {"sku": "TEA-JP", "price": {"amount": 1, "currency": "JPY"}}]}), 409,
        "a SKU another product holds", "sku_taken")
    check("TEA-JP" in r.json.get("title", "") and "of product" in r.json.get("detail", ""),
          "the conflict names the SKU and its product", r)
    # null is not "leave it": a PATCH that sends it is told so.
    pid = call("GET", "/api/v1/products?limit=1").json["data"][0]["id"]
    r = expect(call("PATCH", f"/api/v1/products/{pid}", {"title": None}), 422,
               "a null title in PATCH", "validation_failed")
    check("title" in fields_of(r), "the null member is named", r)
    r = expect(call("POST", "/api/v1/products", raw='{"title": "a", "title": "b"}'), 400,
               "a duplicate member", "duplicate_member")
    check('"title"' in r.json.get("detail", ""), "the duplicate member is named", r)
    expect(call("POST", "/api/v1/products", raw=""), 400, "an empty body", "malformed_json")
    # The HTTP layer's own answers carry a code too, and 405 is not a 404.
    r = expect(call("DELETE", "/api/v1/products"), 405, "DELETE on a collection",
               "method_not_allowed")
    check("GET" in r.headers.get("Allow", "") and "POST" in r.headers.get("Allow", ""),
          "405 lists the allowed methods", r.headers)
    expect(call("PUT", f"/api/v1/products/{pid}", {"title": "x"}), 405, "PUT on a product",
           "method_not_allowed")
    r = expect(bare_call("PUT", f"/api/v1/products/{pid}"), 405,
               "PUT without a body or Content-Length", "method_not_allowed")
    check("PATCH" in r.headers.get("Allow", ""), "that 405 lists the allowed methods", r.headers)
    expect(call("GET", "/api/v1/no-such-thing"), 404, "an unknown path", "not_found")


def pagination():
    for i in range(25):
        expect(call("POST", "/api/v1/customers", {"email": f"c{i}@example.com",
                                                  "name": f"C {i}"}), 201, f"customer {i}")
    expect(call("POST", "/api/v1/customers", {"email": "c1@example.com"}), 409,
           "duplicate e-mail", "email_taken")
    first = expect(call("GET", "/api/v1/customers", key=READER), 200, "first page")
    check(len(first.json["data"]) == 20 and first.json["has_more"], "default limit 20",
          first)
    cursor = first.json["next_cursor"]
    check(isinstance(cursor, str) and not cursor.isdigit(), "the cursor is opaque", cursor)
    second = expect(call("GET", f"/api/v1/customers?starting_after={cursor}", key=READER),
                    200, "second page")
    check(len(second.json["data"]) == 5 and not second.json["has_more"], "last page", second)
    ids = [c["id"] for c in first.json["data"] + second.json["data"]]
    check(len(set(ids)) == 25 and ids == sorted(ids), "pages neither repeat nor skip", ids)
    small = expect(call("GET", "/api/v1/customers?limit=100", key=READER), 200, "limit 100")
    check(len(small.json["data"]) == 25, "limit 100 returns all 25")
    for bad in ["0", "101", "ten", "-1"]:
        r = expect(call("GET", f"/api/v1/customers?limit={bad}", key=READER), 400,
                   f"limit={bad}", "invalid_parameter")
        check("limit" in fields_of(r), f"limit={bad} names the parameter", r)
        check(f'got "{bad}"' in r.json.get("detail", ""), f"limit={bad} is echoed", r)
    r = expect(call("GET", "/api/v1/customers?starting_after=12", key=READER), 400,
               "a bare id is not a cursor", "invalid_cursor")
    check("first page" in r.json.get("hint", ""), "a bad cursor says how to start over", r)
    r = expect(call("GET", "/api/v1/orders?state=bogus", key=READER), 400,
               "an unknown state filter", "invalid_parameter")
    check("awaiting_payment" in r.json.get("hint", ""), "the states are listed", r)
    # A parameter sent twice with different values is refused, not read as
    # its first value (cpp-httplib folds a repeated identical pair into one).
    for query in ["/api/v1/customers?limit=1&limit=100",
                  f"/api/v1/customers?starting_after={cursor}&starting_after=x",
                  "/api/v1/orders?state=paid&state=cancelled",
                  "/api/v1/inventory/VAL-1?location=WH1&location=WH2",
                  "/api/v1/inventory/VAL-1/movements?location=WH1&location=WH2"]:
        name = query.split("?")[1].split("=")[0]
        r = expect(call("GET", query, key=READER), 400, f"{name} twice", "invalid_parameter")
        check(name in fields_of(r) and "2 times" in r.json.get("detail", ""),
              f"{name} twice is named", r)


def body_limit():
    big = json.dumps({"title": "x" * (70 * 1024)})
    r = call("POST", "/api/v1/products", raw=big)
    check(r.status == 413, "a body over max_body_bytes is 413", r)
    check("max_body_bytes" in r.json.get("hint", ""), "the 413 says what limits it", r)
    for path in ["/api/v1/product", "/api/v1/orders/12345678901234567890", "/v1/orders"]:
        r = expect(call("GET", path, key=READER), 404, f"GET {path}", "not_found")
        check("/api/v1/" in r.json.get("hint", ""), f"the 404 of {path} says where the API is", r)


def fifty_clients_last_ten_units():
    new_sku("RACE-10", 10)
    results = parallel(50, lambda i: order([("RACE-10", 1)], headers={}))
    created = [r for r in results if r.status == 201]
    refused = [r for r in results if r.status == 409]
    check(len(created) == 10, "exactly 10 of 50 orders succeed", [r.status for r in results])
    check(len(refused) == 40 and all(r.json["code"] == "insufficient_stock" for r in refused),
          "the other 40 get insufficient_stock", [r.raw[:80] for r in results[:3]])
    stock = level("RACE-10")
    check((stock["on_hand"], stock["reserved"], stock["available"]) == (10, 10, 0),
          "on_hand 10, reserved 10, available 0", stock)


def case_1_two_carts_of_two():
    new_sku("CASE-1", 3)
    results = parallel(2, lambda i: order([("CASE-1", 2)]))
    statuses = sorted(r.status for r in results)
    check(statuses == [201, 409], "exactly one cart of two succeeds", statuses)
    stock = level("CASE-1")
    check((stock["on_hand"], stock["reserved"]) == (3, 2), "on_hand 3, reserved 2", stock)


def case_2_two_reservations_of_the_last_unit():
    new_sku("CASE-2", 1)
    before = count("reservations")
    results = parallel(2, lambda i: order([("CASE-2", 1)]))
    check(sorted(r.status for r in results) == [201, 409], "one reservation of the last unit")
    check(count("reservations") == before + 1, "exactly one reservation exists")
    check(level("CASE-2")["reserved"] == 1, "reserved is 1 (no lost update)")


def case_3_release_twice():
    new_sku("CASE-3", 5)
    r = expect(order([("CASE-3", 3)]), 201, "order of 3")
    check(level("CASE-3")["reserved"] == 3, "3 reserved")
    expect(call("POST", f"/api/v1/orders/{r.json['id']}/cancel", key=WRITER), 200, "cancel")
    check(level("CASE-3")["reserved"] == 0, "released once: reserved 0")
    again = expect(call("POST", f"/api/v1/orders/{r.json['id']}/cancel", key=WRITER), 409,
                   "cancelling twice", "invalid_transition")
    check("cancelled" in again.json["detail"], "the conflict names the current state", again)
    check(level("CASE-3")["reserved"] == 0, "the second release changes nothing")
    # Two cancels racing: one wins, reserved drops once.
    r = expect(order([("CASE-3", 3)]), 201, "another order of 3")
    results = parallel(2, lambda i: call("POST", f"/api/v1/orders/{r.json['id']}/cancel",
                                          key=WRITER))
    check(sorted(x.status for x in results) == [200, 409], "one of two racing cancels wins")
    check(level("CASE-3")["reserved"] == 0, "racing cancels release once")


def case_4_cancel_before_reserving():
    new_sku("CASE-4", 5)
    expect(order([("CASE-4", 2)]), 201, "an order holding 2")
    draft = expect(order([("CASE-4", 3)], reserve=False), 201, "a pending order")
    check(draft.json["state"] == "pending", "the order is pending", draft)
    check(level("CASE-4")["reserved"] == 2, "the pending order reserved nothing")
    expect(call("POST", f"/api/v1/orders/{draft.json['id']}/cancel", key=WRITER), 200,
           "cancel the pending order")
    check(level("CASE-4")["reserved"] == 2, "cancelling it leaves reserved untouched")


def case_5_refunds():
    new_sku("CASE-5", 2, price=10000)
    r = expect(order([("CASE-5", 1)]), 201, "an order of 100.00")
    check(r.json["total"] == {"amount": 10000, "currency": "EUR"}, "total computed", r)
    oid = r.json["id"]
    expect(call("POST", f"/api/v1/orders/{oid}/payments", {"gateway": "manual"}), 201, "pay")
    expect(call("POST", f"/api/v1/orders/{oid}/refunds",
                {"amount": {"amount": 9999, "currency": "EUR"}}), 201, "refund 99.99")
    second = expect(call("POST", f"/api/v1/orders/{oid}/refunds",
                         {"amount": {"amount": 500, "currency": "EUR"}}), 409,
                    "refund 5.00 more", "refund_exceeds_refundable")
    check("0.01" in second.json.get("detail", ""), "the refusal names 0.01 refundable", second)
    last = expect(call("POST", f"/api/v1/orders/{oid}/refunds",
                       {"amount": {"amount": 1, "currency": "EUR"}}), 201, "refund the last 0.01")
    state = call("GET", f"/api/v1/orders/{oid}", key=READER).json["state"]
    check(state == "refunded", "a full refund makes the order refunded", state)
    del last


def case_6_same_sku_twice():
    new_sku("CASE-6", 3)
    r = expect(order([("CASE-6", 2), ("CASE-6", 2)]), 409, "2 + 2 of a stock of 3",
               "insufficient_stock")
    check(level("CASE-6")["reserved"] == 0, "nothing reserved")
    check(r.json["detail"].startswith("3 available, 4 requested"),
          "the refusal names the SKU's totals over both lines", r)
    new_sku("CASE-6B", 1)
    expect(order([("CASE-6", 1), ("CASE-6B", 2)]), 409, "two SKUs, one short",
           "insufficient_stock")
    check(level("CASE-6")["reserved"] == 0 and level("CASE-6B")["reserved"] == 0,
          "neither SKU reserved anything")
    del r


def idempotency_rules():
    new_sku("IDEM-1", 50)
    before = count("orders")
    body = {"currency": "EUR", "lines": [{"sku": "IDEM-1", "quantity": 1}]}
    results = parallel(20, lambda i: call("POST", "/api/v1/orders", body, key=WRITER,
                                          headers={"Idempotency-Key": "order-777"}))
    check(count("orders") == before + 1, "20 parallel requests with one key create one order",
          [r.status for r in results])
    created = [r for r in results if r.status == 201]
    others = [r for r in results if r.status != 201]
    check(len({r.raw for r in created}) == 1, "every 201 is the same bytes")
    check(all(r.status == 409 and r.json["code"] == "idempotency_key_in_use" for r in others),
          "the rest are told the first is still running", [r.raw[:60] for r in others])
    replay = call("POST", "/api/v1/orders", body, key=WRITER,
                  headers={"Idempotency-Key": "order-777"})
    check(replay.status == 201 and created and replay.raw == created[0].raw,
          "a later replay is byte for byte the stored response", replay)
    check(level("IDEM-1")["reserved"] == 1, "and reserved only once")
    other = dict(body, lines=[{"sku": "IDEM-1", "quantity": 2}])
    expect(call("POST", "/api/v1/orders", other, key=WRITER,
                headers={"Idempotency-Key": "order-777"}), 422,
           "the same key with another request", "idempotency_key_reused")
    expect(call("POST", "/api/v1/orders", body, key=WRITER,
                headers={"Idempotency-Key": "bad key with spaces"}), 400,
           "a malformed Idempotency-Key", "invalid_idempotency_key")
    # A refused request keeps nothing under its key: the corrected request
    # with the same key runs (a form body, then an invalid one, then right).
    before = count("orders")
    expect(call("POST", "/api/v1/orders", raw="currency=EUR", key=WRITER,
                headers={"Idempotency-Key": "fix-me",
                         "Content-Type": "application/x-www-form-urlencoded"}),
           415, "a form body", "unsupported_media_type")
    expect(call("POST", "/api/v1/orders", dict(body, lines=[{"sku": "IDEM-1", "quantity": 0}]),
                key=WRITER, headers={"Idempotency-Key": "fix-me"}), 422,
           "an invalid order under the same key", "validation_failed")
    fixed = call("POST", "/api/v1/orders", body, key=WRITER, headers={"Idempotency-Key": "fix-me"})
    check(fixed.status == 201 and "Idempotent-Replayed" not in fixed.headers,
          "the corrected request with the same key runs", fixed)
    check(count("orders") == before + 1, "refused requests created no order")


def order_lifecycle():
    new_sku("LIFE-1", 10, price=1299)
    r = expect(order([("LIFE-1", 3)]), 201, "order 3 x 12.99")
    oid = r.json["id"]
    check(r.json["state"] == "awaiting_payment", "the order awaits payment", r)
    check(r.json["total"]["amount"] == 3897, "total 38.97 computed by the server", r)
    check(r.json["reservations_expire_at"], "the reservation expiry is shown", r)
    # The bodiless actions as `curl -X POST` sends them: no Content-Length
    # at all, which RFC 9112 6.3 makes an empty body.
    bad = expect(bare_call("POST", f"/api/v1/orders/{oid}/fulfil", key=WRITER), 409,
                 "fulfil before payment", "invalid_transition")
    check("awaiting_payment" in bad.json["detail"], "the conflict names awaiting_payment", bad)
    expect(call("POST", f"/api/v1/orders/{oid}/payments", {"gateway": "stripe"}), 422,
           "only the manual gateway for now", "validation_failed")
    paid = expect(call("POST", f"/api/v1/orders/{oid}/payments", {"gateway": "manual"}), 201,
                  "pay manually")
    check(paid.json["state"] == "captured" and paid.json["amount"]["amount"] == 3897,
          "a captured payment of the total", paid)
    stock = level("LIFE-1")
    check((stock["on_hand"], stock["reserved"]) == (7, 0), "the sale took 3 from stock", stock)
    expect(call("POST", f"/api/v1/orders/{oid}/payments", {"gateway": "manual"}), 409,
           "paying twice", "invalid_transition")
    refused = expect(bare_call("POST", f"/api/v1/orders/{oid}/cancel", key=WRITER), 409,
                     "cancel a paid order", "invalid_transition")
    hint = refused.json.get("hint", "")
    check("refund" in hint and "cancelled" not in hint,
          "the refusal says to refund and offers no move the API refuses", refused)
    check(call("GET", f"/api/v1/orders/{oid}", key=READER).json["state"] == "paid",
          "the refused cancel left the order paid", oid)
    expect(bare_call("POST", f"/api/v1/orders/{oid}/fulfil", key=WRITER), 200, "fulfil")
    done = expect(bare_call("POST", f"/api/v1/orders/{oid}/complete", key=WRITER), 200,
                  "complete")
    check(done.json["state"] == "completed", "completed", done)
    ledger = call("GET", "/api/v1/inventory/LIFE-1/movements", key=READER).json["data"]
    check([m["reason"] for m in ledger] == ["receive", "sale"] and ledger[1]["quantity"] == -3,
          "the ledger shows the receipt and the sale", ledger)
    listed = call("GET", "/api/v1/orders?state=completed", key=READER).json["data"]
    check(any(o["id"] == oid for o in listed), "listing by state finds it")


def transfers_and_alerts():
    new_sku("MOVE-1", 10)
    r = expect(call("POST", "/api/v1/inventory/adjustments",
                    {"sku": "MOVE-1", "location": "WH1", "to_location": "WH2",
                     "reason": "transfer", "quantity": 4}), 201, "transfer 4 to WH2")
    check([m["quantity"] for m in r.json["movements"]] == [-4, 4], "one pair of movements", r)
    check(level("MOVE-1")["on_hand"] == 6 and level("MOVE-1", "WH2")["on_hand"] == 4,
          "6 left, 4 moved")
    movements = count("stock_movements")
    expect(call("POST", "/api/v1/inventory/adjustments",
                {"sku": "MOVE-1", "location": "WH1", "to_location": "WH2",
                 "reason": "transfer", "quantity": 7}), 409, "transfer more than there is",
           "insufficient_stock")
    check(count("stock_movements") == movements, "a refused transfer writes no half")
    expect(call("POST", "/api/v1/inventory/adjustments",
                {"sku": "MOVE-1", "location": "WH1", "reason": "lost", "quantity": 0}), 422,
           "a zero quantity", "validation_failed")
    expect(call("POST", "/api/v1/inventory/adjustments",
                {"sku": "MOVE-1", "location": "WH1", "reason": "stolen", "quantity": 1}), 422,
           "an unknown reason", "validation_failed")

    # WH2 has threshold 4: 4 is low; 2 is critical; 0 is out; back to 10 is ok.
    def alerts():
        return db_rows("SELECT a.level, a.resolved_at IS NULL FROM low_stock_alerts a "
                       "JOIN variants v ON v.id = a.variant_id JOIN locations l "
                       "ON l.id = a.location_id WHERE v.sku = 'MOVE-1' AND l.code = 'WH2' "
                       "ORDER BY a.id")
    check(level("MOVE-1", "WH2")["level"] == "low", "4 of threshold 4 is low")
    check(alerts() == [("low", 1)], "crossing into low writes one alert", alerts())
    adjust = {"sku": "MOVE-1", "location": "WH2", "reason": "adjust"}
    expect(call("POST", "/api/v1/inventory/adjustments", dict(adjust, quantity=-1)), 201, "-1")
    check(alerts() == [("low", 1)], "staying low writes nothing more", alerts())
    expect(call("POST", "/api/v1/inventory/adjustments", dict(adjust, quantity=-1)), 201, "-1")
    check(level("MOVE-1", "WH2")["level"] == "critical", "2 of 4 is critical")
    check(alerts() == [("low", 0), ("critical", 1)], "crossing into critical writes one",
          alerts())
    expect(call("POST", "/api/v1/inventory/adjustments", dict(adjust, quantity=1)), 201, "+1")
    check(len(alerts()) == 2, "improving to low writes nothing", alerts())
    expect(call("POST", "/api/v1/inventory/adjustments", dict(adjust, quantity=7)), 201, "+7")
    check(level("MOVE-1", "WH2")["level"] == "ok", "10 is ok")
    check(all(open_ == 0 for _, open_ in alerts()), "recovering resolves the alert", alerts())
    expect(call("POST", "/api/v1/inventory/adjustments", dict(adjust, quantity=-7)), 201, "-7")
    check(alerts()[-1] == ("low", 1) and len(alerts()) == 3,
          "after recovery a new crossing alerts again", alerts())


def unknown_members_everywhere():
    """Every POST/PATCH refuses members it does not use, naming them; a
    refused request changes nothing."""
    new_sku("MEMB-1", 10)
    draft = expect(order([("MEMB-1", 2)], reserve=False), 201, "a pending order")
    oid = draft.json["id"]
    r = expect(call("POST", f"/api/v1/orders/{oid}/place", {"foo": 1}, key=WRITER), 422,
               "place with an unknown member", "validation_failed")
    check(fields_of(r) == ["foo"], "the unknown member is named", r)
    check(call("GET", f"/api/v1/orders/{oid}", key=READER).json["state"] == "pending"
          and level("MEMB-1")["reserved"] == 0, "the refused place reserved nothing")
    for action in ["cancel", "fulfil", "complete"]:
        r = expect(call("POST", f"/api/v1/orders/{oid}/{action}", {"reason": "x"}, key=WRITER),
                   422, f"{action} with an unknown member", "validation_failed")
        check(fields_of(r) == ["reason"], f"{action} names the member", r)
    check(call("GET", f"/api/v1/orders/{oid}", key=READER).json["state"] == "pending",
          "the refused actions left the order pending")
    expect(call("POST", f"/api/v1/orders/{oid}/place", {}, key=WRITER), 200, "place with {}")
    expect(call("POST", f"/api/v1/orders/{oid}/cancel", key=WRITER), 200, "cancel with no body")
    pid = call("GET", "/api/v1/products?limit=1", key=READER).json["data"][0]["id"]
    r = expect(call("POST", f"/api/v1/products/{pid}/archive", {"status": "archived"},
                    key=WRITER), 422, "archive with a member", "validation_failed")
    check(fields_of(r) == ["status"], "archive names the member", r)
    expect(call("POST", f"/api/v1/orders/{oid}/place", raw="not json", key=WRITER), 400,
           "a body that is not JSON on an action", "malformed_json")
    # A member the chosen reason does not use is refused, not ignored.
    movements = count("stock_movements")
    r = expect(call("POST", "/api/v1/inventory/adjustments",
                    {"sku": "MEMB-1", "location": "WH1", "to_location": "WH2",
                     "reason": "receive", "quantity": 5}), 422,
               "to_location on a receive", "validation_failed")
    check(fields_of(r) == ["to_location"], "to_location is named", r)
    check("transfer" in r.json["errors"][0]["message"] if r.json and r.json.get("errors")
          else False, "the message says to_location is for transfers", r)
    check(count("stock_movements") == movements and level("MEMB-1")["on_hand"] == 10,
          "the refused adjustment wrote nothing")
    r = expect(call("POST", "/api/v1/inventory/adjustments",
                    {"sku": "MEMB-1", "location": "WH1", "reason": "receive", "quantity": 1,
                     "note": "x"}), 422, "an unknown adjustment member", "validation_failed")
    check(fields_of(r) == ["note"], "note is named", r)


def foreign_cursors():
    """A cursor belongs to the list that returned it; any other list refuses it."""
    orders_page = expect(call("GET", "/api/v1/orders?limit=1", key=READER), 200, "orders page")
    cursor = orders_page.json["next_cursor"]
    check(isinstance(cursor, str), "the orders list has a next page", orders_page)
    expect(call("GET", f"/api/v1/orders?limit=1&starting_after={cursor}", key=READER), 200,
           "the orders cursor on the orders list")
    for other in ["/api/v1/products", "/api/v1/customers", "/api/v1/locations",
                  "/api/v1/inventory", "/api/v1/inventory/MOVE-1/movements"]:
        r = expect(call("GET", f"{other}?starting_after={cursor}", key=READER), 400,
                   f"an orders cursor on {other}", "invalid_cursor")
        check(fields_of(r) == ["starting_after"], f"{other} names starting_after", r)
    moves = expect(call("GET", "/api/v1/inventory/MOVE-1/movements?limit=1", key=READER), 200,
                   "a page of MOVE-1's ledger")
    expect(call("GET", "/api/v1/inventory/LIFE-1/movements?starting_after="
                + moves.json["next_cursor"], key=READER), 400,
           "one SKU's ledger cursor on another's", "invalid_cursor")


def catalogue_updates():
    r = expect(call("POST", "/api/v1/products", {"title": "Mug", "variants": [
        {"sku": "MUG-1", "price": {"amount": 800, "currency": "EUR"},
         "unit_cost": {"amount": 300, "currency": "EUR"}}]}), 201, "a mug")
    pid = r.json["id"]
    expect(call("POST", "/api/v1/products", {"title": "Mug again", "variants": [
        {"sku": "MUG-1", "price": {"amount": 1, "currency": "EUR"}}]}), 409, "duplicate SKU",
        "sku_taken")
    u = expect(call("PATCH", f"/api/v1/products/{pid}", {"title": "Big mug"}, key=WRITER), 200,
               "rename")
    check(u.json["title"] == "Big mug", "renamed", u)
    # A change that changes nothing keeps updated_at (set back in time first,
    # so that "now" would show).
    writer = sqlite3.connect(DB_FILE, timeout=10)
    writer.execute("UPDATE products SET updated_at = '2020-01-01T00:00:00Z' WHERE id = ?", (pid,))
    writer.commit()
    writer.close()
    for same in [{}, {"title": "Big mug"}]:
        u = expect(call("PATCH", f"/api/v1/products/{pid}", same, key=WRITER), 200,
                   f"PATCH {same}")
        check(u.json["updated_at"] == "2020-01-01T00:00:00Z", f"PATCH {same} keeps updated_at", u)
    u = expect(call("PATCH", f"/api/v1/products/{pid}", {"description": "450 ml"}, key=WRITER),
               200, "a real change")
    check(u.json["updated_at"] != "2020-01-01T00:00:00Z", "a real change moves updated_at", u)
    v = expect(call("POST", f"/api/v1/products/{pid}/variants",
                    {"sku": "MUG-2", "price": {"amount": 900, "currency": "EUR"}}), 201,
               "add a variant")
    expect(call("PATCH", f"/api/v1/variants/{v.json['id']}",
                {"price": {"amount": 950, "currency": "EUR"}}), 200, "reprice")
    a = expect(call("POST", f"/api/v1/products/{pid}/archive", key=WRITER), 200, "archive")
    check(a.json["status"] == "archived", "archived", a)
    expect(order([("MUG-1", 1)]), 422, "an archived product cannot be ordered",
           "product_not_available")


def free_text():
    # Titles count characters, not bytes; descriptions keep their lines.
    title = "\u6728\u7dbf\u306eT\u30b7\u30e3\u30c4" * 60  # 420 characters, 1260 bytes
    product = {"title": title, "description": "Soft.\n\n- cotton"}
    r = expect(call("POST", "/api/v1/products", product, key=WRITER), 201,
               "a 420-character Japanese title, a two-line description")
    check(r.json.get("description") == "Soft.\n\n- cotton", "the description keeps its lines", r)
    expect(call("POST", "/api/v1/customers", {"email": "n\u0000ul@example.com"}, key=WRITER), 422,
           "an e-mail with a NUL is invalid, not taken", "validation_failed")
    new_sku("TEXT-1", 2)
    oid = expect(order([("TEXT-1", 1)]), 201, "an order to refund").json["id"]
    expect(call("POST", f"/api/v1/orders/{oid}/payments", {"gateway": "manual"}), 201, "pay it")
    refund = {"amount": {"amount": 100, "currency": "EUR"}, "reason": "bad\u0000reason"}
    expect(call("POST", f"/api/v1/orders/{oid}/refunds", refund), 422,
           "a refund reason with a NUL", "validation_failed")
    refund["reason"] = "damaged in transit;\ncustomer keeps it"
    expect(call("POST", f"/api/v1/orders/{oid}/refunds", refund), 201,
           "a two-line refund reason")


def main():
    setup()
    for situation in [auth_rules, validation_rules, pagination, body_limit,
                      fifty_clients_last_ten_units, case_1_two_carts_of_two,
                      case_2_two_reservations_of_the_last_unit, case_3_release_twice,
                      case_4_cancel_before_reserving, case_5_refunds, case_6_same_sku_twice,
                      idempotency_rules, order_lifecycle, transfers_and_alerts,
                      unknown_members_everywhere, foreign_cursors, catalogue_updates, free_text]:
        try:
            situation()
        except Exception as error:  # a crash in one situation must not hide the others
            FAILURES.append(f"{situation.__name__} raised {error!r}")
            print(f"FAIL: {situation.__name__} raised {error!r}", file=sys.stderr)
    print(f"commerce_client: {CHECKS[0]} checks, {len(FAILURES)} failed")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
