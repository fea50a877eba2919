#!/usr/bin/env python3
"""Fills a freshly migrated rcommerce database with a small, hostile catalogue
for the inventory report tests: names with commas, quotes, newlines and
non-ASCII text, four currencies (EUR, USD, JPY 0 decimals, KWD 3), thresholds
at every level of the resolution order, a backordered SKU, reservations in
every status, and a stock ledger whose sums are the on_hand values.

usage: build_fixture.py DB NOW_UNIX
Timestamps are relative to NOW_UNIX, except the movements of 2026-01, which
the movements report test selects with fixed dates.
"""
import sqlite3
import sys
import time

db_path, now = sys.argv[1], int(sys.argv[2])


def ts(days_ago, seconds=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - days_ago * 86400 + seconds))


con = sqlite3.connect(db_path)
con.execute("PRAGMA foreign_keys = ON")
c = con.cursor()

c.executemany(
    "INSERT INTO locations (id, code, name, low_stock_threshold) VALUES (?, ?, ?, ?)",
    [(1, "main", "Main warehouse", None), (2, "east", 'East, "annex"', 10),
     (3, "zürich", "Zürich\nLager", None)])

c.executemany("INSERT INTO products (id, title) VALUES (?, ?)", [
    (1, 'Mug, "large"'), (2, "Tea\nPot"), (3, "Crème brûlée – 東京 🎉"), (4, "Plain"),
    (5, "Dusty, unsold"), (6, "=SUM(A1)")])

# id, product, sku, title, price, cost, currency, backorder, sku threshold
c.executemany(
    "INSERT INTO variants (id, product_id, sku, title, price_amount, unit_cost_amount, currency,"
    " allow_backorder, low_stock_threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (1, 1, "MUG-1", "Blue, big", 1200, 450, "EUR", 0, None),
        (2, 1, "MUG-2", 'The "red" one', 1300, 500, "EUR", 0, 5),
        (3, 2, "POT-1", "", 3000, 1200, "JPY", 0, None),
        (4, 3, "CRÈME-1", "Ünïcödé", 2000, 1234, "KWD", 0, 40),
        (5, 4, "PLAIN-1", "Default", 999, 999, "USD", 1, None),
        (6, 5, "DEAD-1", "Old", 100, 100, "EUR", 0, None),
        (7, 6, "MUG-10", "x", 100, 7, "EUR", 0, None),
    ])

# Ledger: (variant, location, quantity, reason, created_at).
moves = [
    (1, 1, 100, "receive", "2026-01-05T10:00:00Z"),
    (1, 1, -30, "sale", ts(3)),
    (1, 2, 8, "receive", "2026-01-06T00:00:00Z"),
    (1, 2, -1, "sale", "2026-01-20T12:30:00.500Z"),
    (2, 1, 6, "receive", "2026-01-10T08:00:00Z"),
    (2, 1, -3, "sale", ts(1)),
    (2, 3, 50, "receive", ts(30)),
    (2, 3, -50, "sale", ts(2)),
    (3, 1, 25, "receive", "2026-01-31T23:59:59Z"),
    (3, 1, -4, "lost", "2026-02-01T00:00:00Z"),
    (3, 2, 12, "receive", ts(200)),
    (3, 2, -2, "sale", ts(5)),
    (4, 3, 60, "receive", ts(40)),
    (4, 3, -25, "sale", ts(10)),
    (5, 1, 2, "receive", ts(20)),
    (6, 1, 200, "receive", ts(300)),
    (6, 1, -10, "sale", ts(120)),
    (6, 2, 3, "found", ts(400)),
    (7, 1, 15, "receive", ts(100)),
    (7, 1, -1, "adjust", ts(50)),
]
c.executemany("INSERT INTO stock_movements (variant_id, location_id, quantity, reason,"
              " created_at) VALUES (?, ?, ?, ?, ?)", moves)

# Levels with their reorder points and level-row thresholds; on_hand and
# reserved are set from the ledger and the reservations below.
levels = [(1, 1, 30, None), (1, 2, 5, None), (2, 1, 4, None), (2, 3, 0, 7), (3, 1, 10, None),
          (3, 2, 0, 3), (4, 3, 20, None), (5, 1, 0, None), (6, 1, 0, None), (6, 2, 0, None),
          (7, 1, 0, 0)]
c.executemany("INSERT INTO inventory_levels (variant_id, location_id, reorder_point,"
              " low_stock_threshold) VALUES (?, ?, ?, ?)", levels)

c.execute("INSERT INTO customers (id, email, name) VALUES (1, 'a@example.com', 'A, B')")
c.executemany("INSERT INTO orders (id, number, customer_id, state, currency) VALUES"
              " (?, ?, 1, ?, ?)", [(1, "R-1001", "awaiting_payment", "EUR"),
                                   (2, 'R-"1002"', "paid", "USD")])
c.executemany("INSERT INTO order_lines (id, order_id, variant_id, sku, quantity,"
              " unit_price_amount, line_total_amount, currency) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              [(1, 1, 1, "MUG-1", 5, 1200, 6000, "EUR"), (2, 2, 5, "PLAIN-1", 5, 999, 4995, "USD"),
               (3, 1, 4, "CRÈME-1", 1, 2000, 2000, "EUR")])
# id, variant, location, line, qty, status, expires, created, updated
c.executemany(
    "INSERT INTO reservations (id, variant_id, location_id, order_line_id, quantity, status,"
    " expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (1, 1, 1, 1, 5, "active", ts(-1), ts(0, -600), ts(0, -600)),
        (2, 5, 1, 2, 5, "active", ts(0, -60), ts(1), ts(1)),  # past expiry: overdue
        (3, 4, 3, 3, 1, "converted", ts(2), ts(3), ts(2)),
        (4, 1, 2, None, 2, "released", ts(1), ts(2), ts(2)),
        (5, 3, 1, None, 1, "expired", ts(60), ts(61), ts(60)),  # old: hidden by default
    ])

c.execute("""UPDATE inventory_levels SET
    on_hand = (SELECT coalesce(sum(quantity), 0) FROM stock_movements m
               WHERE m.variant_id = inventory_levels.variant_id
                 AND m.location_id = inventory_levels.location_id),
    reserved = (SELECT coalesce(sum(quantity), 0) FROM reservations r
                WHERE r.variant_id = inventory_levels.variant_id
                  AND r.location_id = inventory_levels.location_id AND r.status = 'active')""")
con.commit()
