"""Drives card payments through a running `rcommerce serve` and the fake Stripe.

Usage: payments_client.py PORT CA_FILE DB_FILE FAKE_URL FAKE_CA SIGN_JS WEBHOOK_SECRET
The admin key comes from RC_ADMIN. Webhook signatures for the hand-made
deliveries come from the official `stripe` library (node SIGN_JS).
Standard library only.
"""
import concurrent.futures
import http.client
import json
import os
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

PORT = int(sys.argv[1])
CONTEXT = ssl.create_default_context(cafile=sys.argv[2])
DB_FILE = sys.argv[3]
FAKE = sys.argv[4]
FAKE_CONTEXT = ssl.create_default_context(cafile=sys.argv[5])
SIGN_JS = sys.argv[6]
SECRET = sys.argv[7]
ADMIN = os.environ["RC_ADMIN"]
FAILURES = []
CHECKS = [0]


def check(condition, label, detail=""):
    CHECKS[0] += 1
    if not condition:
        FAILURES.append(f"{label}: {detail}")
        print(f"FAIL: {label}: {detail}", file=sys.stderr)


def call(method, path, body=None, headers=None, raw=None, key=ADMIN):
    connection = http.client.HTTPSConnection("localhost", PORT, context=CONTEXT, timeout=60)
    sent = dict(headers or {})
    if key:
        sent["Authorization"] = "Bearer " + key
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw_answer = response.read()
    connection.close()
    try:
        parsed = json.loads(raw_answer) if raw_answer else None
    except ValueError:
        parsed = None
    return response.status, parsed, dict(response.getheaders())


def fake(path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(FAKE + path, data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(request, context=FAKE_CONTEXT, timeout=30) as response:
        return json.loads(response.read())


def db(sql, *args):
    connection = sqlite3.connect(f"file:{DB_FILE}?mode=ro", uri=True, timeout=10)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def wait_until(condition, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


SKUS = [0]


def new_order(price=1000, currency="EUR", quantity=1):
    SKUS[0] += 1
    sku = f"PAY-{SKUS[0]}-{currency}"
    status, _, _ = call("POST", "/api/v1/products", {
        "title": sku, "variants": [{"sku": sku, "price": {"amount": price, "currency": currency}}]})
    check(status == 201, "create product", status)
    status, _, _ = call("POST", "/api/v1/inventory/adjustments",
                        {"sku": sku, "location": "WH1", "reason": "receive", "quantity": 10})
    check(status == 201, "receive stock", status)
    status, order, _ = call("POST", "/api/v1/orders", {
        "currency": currency, "reserve": False,
        "lines": [{"sku": sku, "quantity": quantity}]})
    check(status == 201, "create order", order)
    status, placed, _ = call("POST", f"/api/v1/orders/{order['id']}/place")
    check(status == 200 and placed["state"] == "awaiting_payment", "place order", placed)
    return order["id"], sku


def pay(order_id, method="pm_card_visa"):
    return call("POST", f"/api/v1/orders/{order_id}/payments",
                {"gateway": "stripe", "payment_method": method})


def order_state(order_id):
    return db("SELECT state FROM orders WHERE id = ?", order_id)[0][0]


def sales(sku):
    """(on_hand, reserved) of the SKU at WH1: 10 received, 1 ordered."""
    return db("SELECT l.on_hand, l.reserved FROM inventory_levels l JOIN variants v "
              "ON v.id = l.variant_id WHERE v.sku = ?", sku)[0]


def sign(body, timestamp):
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write(body)
    try:
        return subprocess.run(["node", SIGN_JS, SECRET, str(timestamp), f.name], check=True,
                              capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)


def webhook(body, header):
    headers = {"Stripe-Signature": header} if header is not None else {}
    return call("POST", "/api/v1/webhooks/stripe", raw=body, headers=headers, key=None)


def end_to_end():
    order_id, sku = new_order()
    status, payment, _ = pay(order_id)
    check(status == 201 and payment["state"] == "captured", "pay with a good card", payment)
    check(payment["provider_reference"].startswith("pi_"), "intent recorded", payment)
    check(order_state(order_id) == "paid", "order paid", order_state(order_id))
    # The fake's payment_intent.succeeded webhook arrives too: applied, no change.
    intent = payment["provider_reference"]
    check(wait_until(lambda: db("SELECT count(*) FROM processed_webhook_events "
                                "WHERE event_type = 'payment_intent.succeeded'")[0][0] >= 1),
          "the fake's webhook was processed")
    check(db("SELECT count(*) FROM payments WHERE order_id = ?", order_id)[0][0] == 1,
          "one payment row")
    check(sales(sku) == (9, 0), "stock sold once", sales(sku))
    return order_id, intent


def replay_and_signatures(order_id, intent):
    events = [e for e in fake("/_control/events") if e["type"] == "payment_intent.succeeded"
              and e["data"]["object"]["id"] == intent]
    check(len(events) == 1, "one succeeded event for the intent", len(events))
    event = events[0]
    before = db("SELECT count(*) FROM payment_events")[0][0]
    for _ in range(5):
        fake("/_control/resend", {"id": event["id"]})
    time.sleep(1)
    check(db("SELECT count(*) FROM processed_webhook_events WHERE event_id = ?",
             event["id"])[0][0] == 1, "replayed event recorded once")
    check(db("SELECT count(*) FROM payment_events")[0][0] == before, "replays changed nothing")

    # Hand-made deliveries of a charge.refunded for the paid order.
    body = json.dumps({"id": "evt_refund_1", "object": "event", "type": "charge.refunded",
                       "data": {"object": {"id": "ch_x", "object": "charge", "amount": 1000,
                                           "amount_refunded": 1000, "currency": "eur",
                                           "payment_intent": intent}}}, indent=2)
    now = int(time.time())
    good = sign(body, now)
    v1 = good.split("v1=")[1]
    bad = f"t={now},v1={'0' * 64}"
    for label, raw, header in [
            ("wrong signature", body, bad),
            ("timestamp 301 s old", body, sign(body, now - 301)),
            ("re-serialised body", json.dumps(json.loads(body)), good),
            ("no header", body, None)]:
        status, problem, headers = webhook(raw, header)
        check(status == 400, label, (status, problem))
        check(headers.get("Content-Type", "").startswith("application/problem+json"),
              label + " (problem+json)", headers)
    check(order_state(order_id) == "paid", "refused deliveries changed nothing")
    status, answer, _ = webhook(body, f"t={now},v1={'1' * 64},v1={v1}")
    check(status == 200 and answer["applied"], "two v1, one right: accepted", answer)
    check(order_state(order_id) == "refunded", "charge.refunded refunds the order")
    status, answer, _ = webhook(body, good)
    check(status == 200 and answer["duplicate"], "same event again is a duplicate", answer)
    check(db("SELECT count(*) FROM refunds WHERE order_id = ?", order_id)[0][0] == 1,
          "one refund row")
    unhandled = json.dumps({"id": "evt_other_1", "type": "customer.created",
                            "data": {"object": {"id": "cus_1"}}})
    status, answer, _ = webhook(unhandled, sign(unhandled, int(time.time())))
    check(status == 200 and not answer["applied"], "unhandled type acknowledged", answer)
    check(db("SELECT count(*) FROM processed_webhook_events WHERE event_id = 'evt_other_1'")
          [0][0] == 1, "unhandled type recorded")


def parallel_pay():
    order_id, sku = new_order()
    fake("/_control", {"delay_ms": 300, "slow_next": 2})
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: pay(order_id), range(2)))
    ok = [a for a in answers if a[0] == 201]
    check(len(ok) >= 1, "a parallel pay call succeeds", answers)
    intents = {a[1]["provider_reference"] for a in ok}
    check(len(intents) == 1, "parallel pay calls share one PaymentIntent", answers)
    mine = [i for i in fake("/_control/state")["intents"]
            if i.get("metadata", {}).get("order_id") == str(order_id)]
    check(len(mine) == 1, "one PaymentIntent at Stripe", mine)
    check(order_state(order_id) == "paid", "parallel: order paid")
    check(sales(sku) == (9, 0), "parallel: sold once", sales(sku))


def decline_then_good():
    order_id, sku = new_order()
    status, payment, _ = pay(order_id, "pm_card_chargeDeclined")
    check(status == 201 and payment["state"] == "failed", "declined card: payment failed",
          (status, payment))
    check(order_state(order_id) == "awaiting_payment", "declined: order still awaiting")
    status, payment, _ = pay(order_id, "pm_card_visa")
    check(status == 201 and payment["state"] == "captured", "then a good card", (status, payment))
    check(order_state(order_id) == "paid", "decline then good: paid")
    check(sales(sku) == (9, 0), "decline then good: sold once", sales(sku))


def fail_500_once():
    order_id, _ = new_order()
    fake("/_control", {"fail_500_next": 1})
    status, payment, _ = pay(order_id)
    check(status == 201 and payment["state"] == "captured", "paid despite one 500", payment)
    requests = [r for r in fake("/_control/requests")
                if r.get("path") == "/v1/payment_intents" and
                r["params"].get("metadata[order_id]") == str(order_id)]
    keys = {r.get("idempotency_key") for r in requests}
    check(len(requests) == 2 and len(keys) == 1, "the retry reused the Idempotency-Key",
          requests)
    mine = [i for i in fake("/_control/state")["intents"]
            if i.get("metadata", {}).get("order_id") == str(order_id)]
    check(len(mine) == 1, "charged once", mine)


def jpy():
    order_id, _ = new_order(price=1000, currency="JPY")
    status, payment, _ = pay(order_id)
    check(status == 201, "JPY pay", payment)
    intent = [i for i in fake("/_control/state")["intents"] if i["id"] ==
              payment["provider_reference"]]
    check(intent and intent[0]["amount"] == 1000 and intent[0]["currency"] == "jpy",
          "JPY 1000 is amount=1000 at Stripe", intent)


def main():
    status, _, _ = call("POST", "/api/v1/locations", {"code": "WH1", "name": "Main warehouse"})
    check(status == 201, "create location WH1", status)
    order_id, intent = end_to_end()
    replay_and_signatures(order_id, intent)
    parallel_pay()
    decline_then_good()
    fail_500_once()
    jpy()
    print(f"{CHECKS[0]} checks, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
