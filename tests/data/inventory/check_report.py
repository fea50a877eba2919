#!/usr/bin/env python3
"""Checks one `rcommerce inventory report` output against numbers computed
here, independently of rcommerce: on_hand from the stock ledger, reserved from
active reservations, levels and thresholds by the documented rule, money with
ISO 4217 decimals, sorting by the SKU's and location's UTF-8 bytes.

usage: check_report.py DB FORMAT OUTPUT_FILE KIND [options as given to rcommerce]
Exits 1 with a description of the first difference.
"""
import argparse
import csv
import io
import json
import sqlite3
import sys
import time

DECIMALS = {"EUR": 2, "USD": 2, "JPY": 0, "KWD": 3}
CONFIGURED_THRESHOLD = 20
RANK = {"out": 0, "critical": 1, "low": 2, "ok": 3}

p = argparse.ArgumentParser()
p.add_argument("db")
p.add_argument("format")
p.add_argument("output")
p.add_argument("kind")
p.add_argument("--location", action="append", default=[])
p.add_argument("--sku-prefix", default="")
p.add_argument("--product", type=int)
p.add_argument("--level", action="append", default=[])
p.add_argument("--since")
p.add_argument("--until")
p.add_argument("--status", action="append", default=[])
p.add_argument("--days", type=int, default=90)
p.add_argument("--sort")
p.add_argument("--now", type=int, required=True)
args = p.parse_args()

con = sqlite3.connect(args.db)
q = lambda sql, *a: con.execute(sql, a).fetchall()


def stamp(unix):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(unix))


def level_of(available, threshold):
    if available <= 0:
        return "out"
    if 2 * available <= threshold:
        return "critical"
    if available <= threshold:
        return "low"
    return "ok"


def money(amount, currency):
    return {"amount": amount, "currency": currency}


def key(*texts):
    return tuple(t.encode() for t in texts)


product = {r[0]: r[1] for r in q("SELECT id, title FROM products")}
variant = {r[0]: r for r in q("SELECT id, product_id, sku, title, unit_cost_amount, currency,"
                              " low_stock_threshold FROM variants")}
location = {r[0]: r for r in q("SELECT id, code, low_stock_threshold FROM locations")}
ledger = {}
for v, l, qty in q("SELECT variant_id, location_id, quantity FROM stock_movements"):
    ledger[(v, l)] = ledger.get((v, l), 0) + qty
reserved = {}
for v, l, qty in q("SELECT variant_id, location_id, quantity FROM reservations"
                   " WHERE status = 'active'"):
    reserved[(v, l)] = reserved.get((v, l), 0) + qty


def keep(v, l):
    vid, pid, sku = variant[v][0], variant[v][1], variant[v][2]
    if args.location and location[l][1] not in args.location:
        return False
    if args.sku_prefix and not sku.encode().startswith(args.sku_prefix.encode()):
        return False
    if args.product is not None and pid != args.product:
        return False
    return True


def base(v):
    vid, pid, sku, title = variant[v][:4]
    return {"product_id": pid, "product": product[pid], "variant": title, "sku": sku}


def level_rows():
    rows = []
    for v, l, reorder, row_threshold in q("SELECT variant_id, location_id, reorder_point,"
                                          " low_stock_threshold FROM inventory_levels"):
        if not keep(v, l):
            continue
        on_hand, res = ledger.get((v, l), 0), reserved.get((v, l), 0)
        threshold = next(t for t in (row_threshold, location[l][2], variant[v][6],
                                     CONFIGURED_THRESHOLD) if t is not None)
        available = on_hand - res
        level = level_of(available, threshold)
        row = dict(base(v), location=location[l][1], on_hand=on_hand, reserved=res,
                   available=available, reorder_point=reorder, threshold=threshold, level=level)
        if args.kind != "stock":
            row["suggested_reorder"] = 0 if level == "ok" else max(
                0, reorder + threshold - available)
        if args.kind == "low-stock" and level == "ok":
            continue
        if args.kind == "out-of-stock" and available > 0:
            continue
        if args.level and level not in args.level:
            continue
        rows.append(row)
    if args.kind == "low-stock" and not args.sort or args.sort == "level":
        rows.sort(key=lambda r: (RANK[r["level"]], r["available"] - r["threshold"])
                  + key(r["sku"], r["location"]))
    else:
        rows.sort(key=lambda r: key(r["sku"], r["location"]))
    return rows


def expected():
    kind = args.kind
    totals = []
    if kind in ("stock", "low-stock", "out-of-stock"):
        rows = level_rows()
        if kind == "stock":
            per_sku = {}
            for r in rows:
                t = per_sku.setdefault(r["sku"], dict(
                    {k: r[k] for k in ("product_id", "product", "variant", "sku")},
                    location=None, on_hand=0, reserved=0, available=0, reorder_point=0,
                    threshold=None, level=None))
                for k in ("on_hand", "reserved", "available", "reorder_point"):
                    t[k] += r[k]
            totals = [per_sku[s] for s in sorted(per_sku, key=lambda s: s.encode())]
        return rows, totals
    if kind == "valuation":
        rows, per_currency = [], {}
        for v, l in q("SELECT variant_id, location_id FROM inventory_levels"):
            if not keep(v, l):
                continue
            on_hand, cost, cur = ledger.get((v, l), 0), variant[v][4], variant[v][5]
            rows.append(dict(base(v), location=location[l][1], on_hand=on_hand, currency=cur,
                             unit_cost=money(cost, cur), value=money(on_hand * cost, cur)))
            t = per_currency.setdefault(cur, [0, 0])
            t[0] += on_hand
            t[1] += on_hand * cost
        rows.sort(key=lambda r: key(r["sku"], r["location"]))
        empty = dict(product_id=None, product=None, variant=None, sku=None, location=None)
        totals = [dict(empty, on_hand=t[0], currency=c, unit_cost=None, value=money(t[1], c))
                  for c, t in sorted(per_currency.items())]
        return rows, totals
    if kind == "movements":
        since = args.since if "T" in args.since else args.since + "T00:00:00"
        since = since.rstrip("Z")
        until = (args.until.rstrip("Z") if "T" in args.until else args.until + "T00:00:00") \
            if args.until else stamp(args.now)
        rows, net = [], {}
        for mid, v, l, qty, reason, ref, at in q(
                "SELECT id, variant_id, location_id, quantity, reason, reference, created_at"
                " FROM stock_movements"):
            if not (since <= at < until) or not keep(v, l):
                continue
            rows.append(dict(movement_id=mid, created_at=at, **base(v), location=location[l][1],
                             quantity=qty, reason=reason, reference=ref))
            n = net.setdefault(variant[v][2], dict(movement_id=None, created_at=None, **base(v),
                                                   location=None, quantity=0, reason=None,
                                                   reference=None))
            n["quantity"] += qty
        rows.sort(key=lambda r: key(r["sku"], r["location"], r["created_at"]) + (r["movement_id"],))
        totals = [net[s] for s in sorted(net, key=lambda s: s.encode())]
        return rows, totals
    if kind == "reservations":
        rows = []
        recent = stamp(args.now - 7 * 86400)
        for rid, v, l, line, qty, status, exp, created, updated in q(
                "SELECT id, variant_id, location_id, order_line_id, quantity, status, expires_at,"
                " created_at, updated_at FROM reservations"):
            if args.status:
                if status not in args.status:
                    continue
            elif not (status == "active" or updated >= recent):
                continue
            if not keep(v, l):
                continue
            order = q("SELECT o.number, o.state FROM order_lines ol JOIN orders o"
                      " ON o.id = ol.order_id WHERE ol.id = ?", line) if line else []
            number, state = order[0] if order else (None, None)
            b = base(v)
            rows.append({"reservation_id": rid, "order": number, "order_state": state,
                         "product_id": b["product_id"], "product": b["product"],
                         "variant": b["variant"], "sku": b["sku"], "location": location[l][1],
                         "quantity": qty, "status": status, "expires_at": exp,
                         "created_at": created,
                         "overdue": status == "active" and exp < stamp(args.now)})
        rows.sort(key=lambda r: key(r["sku"], r["location"], r["expires_at"])
                  + (r["reservation_id"],))
        return rows, []
    if kind == "dead-stock":
        cutoff = stamp(args.now - args.days * 86400)
        rows = []
        for v, l in q("SELECT variant_id, location_id FROM inventory_levels"):
            on_hand = ledger.get((v, l), 0)
            if on_hand <= 0 or not keep(v, l):
                continue
            sales = [r[0] for r in q("SELECT created_at FROM stock_movements WHERE variant_id = ?"
                                     " AND location_id = ? AND reason = 'sale'", v, l)]
            if any(s >= cutoff for s in sales):
                continue
            last = max(sales) if sales else None
            days = (args.now - calendar_timegm(last)) // 86400 if last else None
            rows.append(dict(base(v), location=location[l][1], on_hand=on_hand,
                             last_sale_at=last, days_since_sale=days))
        rows.sort(key=lambda r: key(r["sku"], r["location"]))
        return rows, []
    raise SystemExit("unknown kind " + kind)


def calendar_timegm(text):
    import calendar
    return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))


def as_csv_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        d = DECIMALS[value["currency"]]
        a = value["amount"]
        sign, a = ("-", -a) if a < 0 else ("", a)
        if d == 0:
            return sign + str(a)
        digits = str(a).rjust(d + 1, "0")
        return sign + digits[:-d] + "." + digits[-d:]
    return str(value)


def fail(message):
    print("check_report: " + message, file=sys.stderr)
    sys.exit(1)


rows, totals = expected()
text = open(args.output, encoding="utf-8", newline="").read()
has_totals = args.kind in ("stock", "valuation", "movements")

if args.format == "json":
    doc = json.loads(text)
    if doc["report"] != args.kind:
        fail("report is %r" % doc["report"])
    got_rows, got_totals = doc["rows"], doc.get("totals", [])
    if has_totals != ("totals" in doc):
        fail("totals present: %r" % ("totals" in doc))
elif args.format == "ndjson":
    got_rows, got_totals = [], []
    for line in text.splitlines():
        obj = json.loads(line)
        record = obj.pop("record", "row")
        (got_rows if record == "row" else got_totals).append(obj)
elif args.format == "csv":
    records = list(csv.reader(io.StringIO(text)))
    header = records[0]
    if has_totals:
        if header[0] != "record":
            fail("CSV header does not start with record: %r" % header)
        header = header[1:]
    got_rows, got_totals = [], []
    for rec in records[1:]:
        record = rec.pop(0) if has_totals else "row"
        if len(rec) != len(header):
            fail("CSV record has %d fields, header %d: %r" % (len(rec), len(header), rec))
        (got_rows if record == "row" else got_totals).append(dict(zip(header, rec)))
    rows = [{k: as_csv_value(v) for k, v in r.items()} for r in rows]
    totals = [{k: as_csv_value(v) for k, v in r.items()} for r in totals]
else:
    fail("unknown format " + args.format)

for name, got, want in (("rows", got_rows, rows), ("totals", got_totals, totals)):
    if len(got) != len(want):
        fail("%d %s, expected %d\n got: %r\nwant: %r" % (len(got), name, len(want), got, want))
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            fail("%s[%d] differs\n got: %r\nwant: %r" % (name, i, g, w))
print("ok: %s %s, %d rows, %d totals" % (args.kind, args.format, len(rows), len(totals)))
