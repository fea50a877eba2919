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
SERVE_LOG = os.environ["RC_SERVE_LOG"]
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


def refund(order_id, amount, currency="EUR"):
    return call("POST", f"/api/v1/orders/{order_id}/refunds",
                {"amount": {"amount": amount, "currency": currency}})


def refund_rows(order_id):
    return db("SELECT amount, state, provider_reference FROM refunds WHERE order_id = ? "
              "ORDER BY id", order_id)


def order_refunded(order_id):
    return db("SELECT refunded_amount FROM orders WHERE id = ?", order_id)[0][0]


def intent_of(order_id):
    return db("SELECT provider_reference FROM payments WHERE order_id = ? AND gateway = 'stripe' "
              "ORDER BY id DESC LIMIT 1", order_id)[0][0]


def processed(event_type, intent):
    """How many events of the type the fake sent for the intent were processed."""
    ids = [e["id"] for e in fake("/_control/events") if e["type"] == event_type and
           (e["data"]["object"].get("payment_intent") == intent or
            e["data"]["object"].get("id") == intent)]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    return db(f"SELECT count(*) FROM processed_webhook_events WHERE event_id IN ({marks})",
              *ids)[0][0]


def stripe_refunds():
    """Case 5 for a card payment: 99.99 of 100.00 through Stripe's Refunds API, then
    5.00 refused naming 0.01; the refund's webhooks do not count it twice."""
    order_id, _ = new_order(price=10000)
    status, _, _ = pay(order_id)
    check(status == 201, "stripe refunds: paid", status)
    intent = intent_of(order_id)
    # Stripe's answer is held until its refund.created and charge.refunded
    # went out: the webhooks settle our refund while the call is in flight.
    fake("/_control", {"delay_ms": 1000, "hold_next": 1, "hold_suffix": "/v1/refunds"})
    status, first, _ = refund(order_id, 9999)
    fake("/_control", {"delay_ms": 0, "hold_suffix": ""})
    check(status == 201 and first["state"] == "succeeded" and
          first["provider_reference"].startswith("re_"), "refund 99.99 through Stripe",
          (status, first))
    sent = [r for r in fake("/_control/requests") if r["path"] == "/v1/refunds" and
            r["params"].get("payment_intent") == intent]
    check(len(sent) == 1 and sent[0]["params"].get("amount") == "9999",
          "POST /v1/refunds with payment_intent and amount=9999", sent)
    check(sent and sent[0]["idempotency_key"] == f"rcommerce-{order_id}-refund-{first['id']}",
          "the refund's Idempotency-Key is derived from our refund", sent)
    check(wait_until(lambda: processed("charge.refunded", intent) == 1 and
                     processed("refund.created", intent) == 1),
          "charge.refunded and refund.created were processed")
    check(refund_rows(order_id) == [(9999, "succeeded", first["provider_reference"])],
          "one refund row after its webhooks", refund_rows(order_id))
    check(order_refunded(order_id) == 9999, "order refunded 99.99 once", order_refunded(order_id))
    via = db("SELECT pe.type FROM payment_events pe JOIN payments p ON p.id = pe.payment_id "
             "WHERE p.order_id = ? AND pe.to_state = 'partially_refunded'", order_id)
    check(via == [("stripe.refund.created",)],
          "the refund's webhook settled it while the call was in flight", via)
    status, problem, _ = refund(order_id, 500)
    check(status == 409 and problem.get("code") == "refund_exceeds_refundable" and
          "0.01" in problem.get("detail", ""), "5.00 more is refused naming 0.01",
          (status, problem))
    status, last, _ = refund(order_id, 1)
    check(status == 201, "the last 0.01", (status, last))
    check(order_state(order_id) == "refunded", "a full Stripe refund makes the order refunded",
          order_state(order_id))
    # A refund made in Stripe's Dashboard is recorded from charge.refunded, once.
    order_id, _ = new_order(price=10000)
    pay(order_id)
    intent = intent_of(order_id)
    fake("/_control/dashboard_refund", {"payment_intent": intent, "amount": 2500})
    check(wait_until(lambda: order_refunded(order_id) == 2500),
          "a Dashboard refund is recorded", order_refunded(order_id))
    check(wait_until(lambda: processed("refund.created", intent) == 1), "its refund.created too")
    check(len(refund_rows(order_id)) == 1 and order_refunded(order_id) == 2500,
          "the Dashboard refund counts once", refund_rows(order_id))


def stripe_refund_failures():
    order_id, _ = new_order(price=10000)
    pay(order_id)
    intent = intent_of(order_id)
    # 500 once: the refund happened, its answer was lost; the retry carries
    # the same key and Stripe replays the first answer.
    fake("/_control", {"fail_500_next": 1})
    status, done, _ = refund(order_id, 3000)
    check(status == 201 and done["state"] == "succeeded", "refund despite one 500", (status, done))
    sent = [r for r in fake("/_control/requests") if r["path"] == "/v1/refunds" and
            r["params"].get("payment_intent") == intent]
    check(len(sent) == 2 and len({r["idempotency_key"] for r in sent}) == 1,
          "the refund retry reused its Idempotency-Key", sent)
    made = [r for r in fake("/_control/state")["refunds"] if r["payment_intent"] == intent]
    check(len(made) == 1, "refunded once at Stripe", made)
    # A 4xx: Stripe's error type and message reach the caller; nothing is held.
    fake("/_control", {"refund_error_next": {"status": 400, "type": "invalid_request_error",
                                             "code": "charge_disputed",
                                             "message": "Charge has been disputed."}})
    status, problem, _ = refund(order_id, 1000)
    detail = (problem or {}).get("detail", "")
    check(status == 422 and "invalid_request_error" in detail and "disputed" in detail,
          "a refused refund names Stripe's error type and message", (status, problem))
    check(refund_rows(order_id)[-1][1] == "failed", "the refused refund is recorded failed",
          refund_rows(order_id))
    # A refund Stripe leaves pending settles with refund.updated.
    fake("/_control", {"refund_pending_next": 1, "delay_ms": 500})
    status, pending, _ = refund(order_id, 7000)
    check(status == 201 and pending["state"] == "pending", "a pending refund", (status, pending))
    check(wait_until(lambda: refund_rows(order_id)[-1][1] == "succeeded"),
          "refund.updated settles the pending refund", refund_rows(order_id))
    check(wait_until(lambda: order_state(order_id) == "refunded"),
          "the order is refunded once everything is", order_state(order_id))
    check(order_refunded(order_id) == 10000, "refunded 100.00 in all", order_refunded(order_id))
    fake("/_control", {"delay_ms": 0})


def racing_refunds():
    """Two refunds for more than half the remainder at once: exactly one passes,
    for a card payment (the Stripe call held open) and a manual one."""
    card, _ = new_order(price=10000)
    pay(card)
    cash, _ = new_order(price=10000)
    status, _, _ = call("POST", f"/api/v1/orders/{cash}/payments", {"gateway": "manual"})
    check(status == 201, "manual payment", status)
    for label, order_id in (("stripe", card), ("manual", cash)):
        fake("/_control", {"delay_ms": 500, "slow_next": 2})
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            answers = list(pool.map(lambda _: refund(order_id, 6000), range(2)))
        codes = sorted(a[0] for a in answers)
        check(codes == [201, 409], f"{label}: one of two racing refunds succeeds", answers)
        refused = [a[1] for a in answers if a[0] == 409]
        check(refused and "40.00" in refused[0].get("detail", ""),
              f"{label}: the loser is told 40.00 is left", refused)
        check(order_refunded(order_id) == 6000, f"{label}: refunded 60.00 once",
              order_refunded(order_id))
    made = [r for r in fake("/_control/state")["refunds"]
            if r["payment_intent"] == intent_of(card)]
    check(len(made) == 1, "one refund reached Stripe", made)
    fake("/_control", {"delay_ms": 0, "slow_next": 0})


def captures(order_id):
    return db("SELECT count(*) FROM payment_events pe JOIN payments p ON p.id = pe.payment_id "
              "WHERE p.order_id = ? AND pe.to_state = 'captured'", order_id)[0][0]


def webhook_during_confirm():
    """The fake sends payment_intent.succeeded, then holds its confirm answer:
    the webhook pays the order while our call is in flight."""
    order_id, sku = new_order()
    fake("/_control", {"delay_ms": 1500, "hold_next": 1, "hold_suffix": "/confirm"})
    status, payment, _ = pay(order_id)
    check(status == 201 and payment["state"] == "captured", "during: paid", (status, payment))
    via = db("SELECT pe.type FROM payment_events pe JOIN payments p ON p.id = pe.payment_id "
             "WHERE p.order_id = ? AND pe.to_state = 'captured'", order_id)
    check(via == [("stripe.payment_intent.succeeded",)],
          "during: the webhook, not the confirm answer, recorded the capture", via)
    check(captures(order_id) == 1 and sales(sku) == (9, 0), "during: paid once, sold once",
          (captures(order_id), sales(sku)))
    check(db("SELECT amount, captured FROM payments WHERE order_id = ?", order_id) ==
          [(1000, 1000)], "during: amounts right")
    fake("/_control", {"delay_ms": 0, "hold_next": 0, "hold_suffix": ""})


def webhook_before_intent_recorded():
    """A payment_intent.succeeded for an intent we have not recorded yet (our
    create call's answer is still on its way) is refused with 404, so Stripe
    delivers it again; then it applies once."""
    order_id, sku = new_order(price=4000)
    fake("/_control", {"delay_ms": 1500, "hold_next": 1, "hold_suffix": "/payment_intents"})
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        paying = pool.submit(pay, order_id)
        def created():
            return [i for i in fake("/_control/state")["intents"]
                    if i.get("metadata", {}).get("order_id") == str(order_id)]
        check(wait_until(lambda: len(created()) == 1), "before: the intent exists at Stripe")
        intent = created()[0]["id"]
        body = json.dumps({"id": f"evt_early_{order_id}", "object": "event",
                           "type": "payment_intent.succeeded",
                           "data": {"object": {"id": intent, "object": "payment_intent",
                                               "amount": 4000, "amount_received": 4000,
                                               "currency": "eur", "status": "succeeded"}}})
        status, problem, _ = webhook(body, sign(body, int(time.time())))
        check(status == 404 and problem.get("code") == "unknown_payment_intent",
              "before: an event for an unrecorded intent is a 404", (status, problem))
        status, payment, _ = paying.result()
    check(status == 201 and payment["state"] == "captured", "before: paid", (status, payment))
    status, answer, _ = webhook(body, sign(body, int(time.time())))
    check(status == 200 and answer["applied"] and not answer["duplicate"],
          "before: Stripe's retry applies", (status, answer))
    check(captures(order_id) == 1 and sales(sku) == (9, 0), "before: paid once, sold once",
          (captures(order_id), sales(sku)))
    check(db("SELECT count(*) FROM payments WHERE order_id = ?", order_id)[0][0] == 1,
          "before: one payment row")
    fake("/_control", {"delay_ms": 0, "hold_suffix": ""})


def partial_capture():
    order_id, sku = new_order(price=10000)
    status, held, _ = call("POST", f"/api/v1/orders/{order_id}/payments",
                           {"gateway": "stripe", "payment_method": "pm_card_visa",
                            "capture_method": "manual"})
    check(status == 201 and held["state"] == "authorized" and
          held["authorized"]["amount"] == 10000 and held["captured"]["amount"] == 0,
          "capture: authorized 100.00", (status, held))
    check(order_state(order_id) == "awaiting_payment", "capture: not paid while authorized")
    status, problem, _ = call("POST", f"/api/v1/orders/{order_id}/capture",
                              {"amount": {"amount": 10001, "currency": "EUR"}})
    check(status == 422 and "100.00" in problem.get("detail", ""),
          "capture: more than authorized is refused naming 100.00", (status, problem))
    status, captured, _ = call("POST", f"/api/v1/orders/{order_id}/capture",
                               {"amount": {"amount": 6000, "currency": "EUR"}})
    check(status == 200 and captured["state"] == "captured" and
          captured["captured"]["amount"] == 6000 and captured["authorized"]["amount"] == 6000 and
          captured["amount"]["amount"] == 10000, "capture: 60.00 of 100.00 recorded as 60.00",
          (status, captured))
    intent = [i for i in fake("/_control/state")["intents"] if i["id"] == held["provider_reference"]]
    check(intent and intent[0]["amount_received"] == 6000 and intent[0]["amount_capturable"] == 0,
          "capture: Stripe took 60.00 and released the rest", intent)
    check(order_state(order_id) == "paid" and sales(sku) == (9, 0), "capture: paid, sold once",
          (order_state(order_id), sales(sku)))
    check(wait_until(lambda: processed("payment_intent.succeeded", held["provider_reference"]) == 1),
          "capture: Stripe's webhook processed")
    check(db("SELECT authorized, captured, state FROM payments WHERE order_id = ?", order_id) ==
          [(6000, 6000, "captured")], "capture: the webhook changed nothing")
    status, problem, _ = refund(order_id, 6001)
    check(status == 409 and "60.00" in problem.get("detail", ""),
          "capture: refunds stop at the captured 60.00", (status, problem))


def cancel_authorized():
    order_id, sku = new_order(price=2500)
    status, held, _ = call("POST", f"/api/v1/orders/{order_id}/payments",
                           {"gateway": "stripe", "payment_method": "pm_card_visa",
                            "capture_method": "manual"})
    check(status == 201 and held["state"] == "authorized", "cancel: authorized", (status, held))
    status, cancelled, _ = call("POST", f"/api/v1/orders/{order_id}/cancel")
    check(status == 200 and cancelled["state"] == "cancelled", "cancel: order cancelled",
          (status, cancelled))
    intent = [i for i in fake("/_control/state")["intents"] if i["id"] == held["provider_reference"]]
    check(intent and intent[0]["status"] == "canceled",
          "cancel: the PaymentIntent was cancelled at Stripe (authorization released)", intent)
    check(db("SELECT state, captured FROM payments WHERE order_id = ?", order_id) ==
          [("cancelled", 0)], "cancel: the payment is recorded cancelled")
    check(sales(sku) == (10, 0), "cancel: nothing sold", sales(sku))
    status, problem, _ = call("POST", f"/api/v1/orders/{order_id}/cancel")
    check(status == 409, "cancel: a second cancel is refused", (status, problem))
    # A paid order is not cancelled (refund it instead), and Stripe is not asked.
    paid_id, _ = new_order(price=1500)
    status, paid, _ = pay(paid_id)
    check(status == 201 and order_state(paid_id) == "paid", "cancel: a paid order", paid)
    status, problem, _ = call("POST", f"/api/v1/orders/{paid_id}/cancel")
    check(status == 409 and problem.get("code") == "invalid_transition",
          "cancel: a paid order cannot be cancelled", (status, problem))


def authorized_then_expired(price, label):
    """An order whose card is authorized (manual capture) and whose
    reservations then run out: the expiry job cancels it."""
    order_id, sku = new_order(price=price)
    status, held, _ = call("POST", f"/api/v1/orders/{order_id}/payments",
                           {"gateway": "stripe", "payment_method": "pm_card_visa",
                            "capture_method": "manual"})
    check(status == 201 and held["state"] == "authorized", f"{label}: authorized", (status, held))
    writer = sqlite3.connect(DB_FILE, timeout=10)
    writer.execute("UPDATE reservations SET expires_at = '2000-01-01T00:00:00Z' WHERE "
                   "order_line_id IN (SELECT id FROM order_lines WHERE order_id = ?)", (order_id,))
    writer.commit()
    writer.close()
    check(wait_until(lambda: order_state(order_id) == "cancelled"),
          f"{label}: the expiry job cancelled the order")
    return order_id, sku, held


def expired_authorization():
    # The order's reservations run out while its card is only authorized:
    # the expiry job cancels the order and frees its stock, so capturing the
    # authorization would charge for an order that holds nothing.
    order_id, sku, held = authorized_then_expired(4000, "expired")
    check(sales(sku) == (10, 0), "expired: its stock is free again", sales(sku))
    status, problem, _ = call("POST", f"/api/v1/orders/{order_id}/capture", {})
    check(status == 409 and problem.get("code") == "invalid_transition" and
          "cancelled" in problem.get("detail", ""),
          "expired: the authorization is not captured", (status, problem))
    def intent():
        intents = fake("/_control/state")["intents"]
        return [i for i in intents if i["id"] == held["provider_reference"]]
    check(intent() and intent()[0]["amount_received"] == 0, "expired: Stripe took nothing",
          intent())
    status, cancelled, _ = call("POST", f"/api/v1/orders/{order_id}/cancel")
    check(status == 200 and cancelled["state"] == "cancelled",
          "expired: cancel releases the hold and answers the cancelled order", (status, cancelled))
    check(intent() and intent()[0]["status"] == "canceled", "expired: the intent is cancelled",
          intent())
    status, _, _ = call("POST", f"/api/v1/orders/{order_id}/cancel")
    check(status == 409, "expired: with nothing left to release, cancel is refused", status)


def captured_after_expiry():
    # Money taken at Stripe (a Dashboard capture, a 3-D Secure confirm that
    # outlived the reservations) after the expiry job cancelled the order:
    # recorded, the order stays cancelled, and serve logs an error for a person.
    order_id, sku, held = authorized_then_expired(2500, "late")
    body = json.dumps({"id": f"evt_late_{order_id}", "object": "event",
                       "type": "payment_intent.succeeded",
                       "data": {"object": {"id": held["provider_reference"],
                                           "object": "payment_intent", "amount": 2500,
                                           "amount_received": 2500, "currency": "eur",
                                           "status": "succeeded"}}})
    status, _, _ = webhook(body, sign(body, int(time.time())))
    check(status == 200, "late: the capture's event is accepted", status)
    check(db("SELECT state, captured FROM payments WHERE order_id = ?", order_id) ==
          [("captured", 2500)], "late: the money is recorded")
    check(order_state(order_id) == "cancelled", "late: the order stays cancelled")
    check(sales(sku) == (10, 0), "late: its stock stays free", sales(sku))
    with open(SERVE_LOG, encoding="utf-8") as log:
        check(any("money was captured for a cancelled order" in line and
                  (f"order_id={order_id} " in line + " " or f'"order_id":{order_id},' in line)
                  for line in log),
              "late: serve logs an error naming the order")


def main():
    status, _, _ = call("POST", "/api/v1/locations", {"code": "WH1", "name": "Main warehouse"})
    check(status == 201, "create location WH1", status)
    order_id, intent = end_to_end()
    replay_and_signatures(order_id, intent)
    parallel_pay()
    decline_then_good()
    fail_500_once()
    jpy()
    stripe_refunds()
    stripe_refund_failures()
    racing_refunds()
    webhook_during_confirm()
    webhook_before_intent_recorded()
    partial_capture()
    cancel_authorized()
    expired_authorization()
    captured_after_expiry()
    print(f"{CHECKS[0]} checks, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
