-- The whole product's schema, version 1.
--
-- Conventions: money is an INTEGER amount in minor units next to an ISO 4217
-- currency code; timestamps are TEXT in UTC, RFC 3339 with a Z
-- ("2026-12-03T15:52:16Z"), so that text order is time order; booleans are
-- INTEGER 0/1. Where the database can hold an invariant it does (CHECK,
-- UNIQUE, FOREIGN KEY, triggers), so a bug in the application cannot store a
-- negative stock or a second copy of a webhook event.

CREATE TABLE products (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'active'
                        CHECK (status IN ('draft', 'active', 'archived')),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE variants (
    id                  INTEGER PRIMARY KEY,
    product_id          INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku                 TEXT    NOT NULL UNIQUE CHECK (length(sku) BETWEEN 1 AND 100),
    title               TEXT    NOT NULL DEFAULT '',
    price_amount        INTEGER NOT NULL CHECK (price_amount >= 0),
    unit_cost_amount    INTEGER NOT NULL DEFAULT 0 CHECK (unit_cost_amount >= 0),
    currency            TEXT    NOT NULL
                        CHECK (length(currency) = 3 AND currency = upper(currency)),
    allow_backorder     INTEGER NOT NULL DEFAULT 0 CHECK (allow_backorder IN (0, 1)),
    -- The SKU's own threshold; see core/inventory/level.hpp for the order.
    low_stock_threshold INTEGER CHECK (low_stock_threshold >= 0),
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX variants_product ON variants (product_id);

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY,
    email      TEXT    NOT NULL UNIQUE COLLATE NOCASE CHECK (email LIKE '%_@_%'),
    name       TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE locations (
    id                  INTEGER PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),
    name                TEXT    NOT NULL,
    low_stock_threshold INTEGER CHECK (low_stock_threshold >= 0),
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

-- Stock of one SKU at one location. available = on_hand - reserved.
CREATE TABLE inventory_levels (
    variant_id          INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    location_id         INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
    on_hand             INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved            INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    reorder_point       INTEGER NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
    low_stock_threshold INTEGER CHECK (low_stock_threshold >= 0),
    updated_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (variant_id, location_id)
);
CREATE INDEX inventory_levels_location ON inventory_levels (location_id);

-- reserved <= on_hand unless the SKU allows backorders. A CHECK cannot read
-- another table, so triggers hold it; RAISE(ABORT) is a constraint failure
-- like any other (SQLITE_CONSTRAINT_TRIGGER).
CREATE TRIGGER inventory_levels_reserved_insert
BEFORE INSERT ON inventory_levels
WHEN NEW.reserved > NEW.on_hand
 AND (SELECT allow_backorder FROM variants WHERE id = NEW.variant_id) = 0
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: reserved <= on_hand');
END;

CREATE TRIGGER inventory_levels_reserved_update
BEFORE UPDATE OF on_hand, reserved ON inventory_levels
WHEN NEW.reserved > NEW.on_hand
 AND (SELECT allow_backorder FROM variants WHERE id = NEW.variant_id) = 0
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: reserved <= on_hand');
END;

CREATE TRIGGER variants_backorder_off
BEFORE UPDATE OF allow_backorder ON variants
WHEN NEW.allow_backorder = 0
 AND EXISTS (SELECT 1 FROM inventory_levels
             WHERE variant_id = NEW.id AND reserved > on_hand)
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: reserved <= on_hand');
END;

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    number           TEXT    NOT NULL UNIQUE,
    customer_id      INTEGER REFERENCES customers (id) ON DELETE SET NULL,
    state            TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'awaiting_payment', 'paid', 'fulfilled',
                                      'completed', 'cancelled', 'refunded')),
    currency         TEXT    NOT NULL
                     CHECK (length(currency) = 3 AND currency = upper(currency)),
    subtotal_amount  INTEGER NOT NULL DEFAULT 0 CHECK (subtotal_amount >= 0),
    total_amount     INTEGER NOT NULL DEFAULT 0 CHECK (total_amount >= 0),
    refunded_amount  INTEGER NOT NULL DEFAULT 0
                     CHECK (refunded_amount >= 0 AND refunded_amount <= total_amount),
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_state ON orders (state, created_at);

CREATE TABLE order_lines (
    id                INTEGER PRIMARY KEY,
    order_id          INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id        INTEGER NOT NULL REFERENCES variants (id) ON DELETE RESTRICT,
    -- SKU and title as sold, so the order reads the same after a rename.
    sku               TEXT    NOT NULL,
    title             TEXT    NOT NULL DEFAULT '',
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_amount INTEGER NOT NULL CHECK (unit_price_amount >= 0),
    line_total_amount INTEGER NOT NULL CHECK (line_total_amount >= 0),
    currency          TEXT    NOT NULL
                      CHECK (length(currency) = 3 AND currency = upper(currency))
);
CREATE INDEX order_lines_order ON order_lines (order_id);
CREATE INDEX order_lines_variant ON order_lines (variant_id);

CREATE TABLE reservations (
    id            INTEGER PRIMARY KEY,
    variant_id    INTEGER NOT NULL REFERENCES variants (id) ON DELETE RESTRICT,
    location_id   INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
    order_line_id INTEGER REFERENCES order_lines (id) ON DELETE SET NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    status        TEXT    NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'converted', 'released', 'expired')),
    expires_at    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX reservations_active ON reservations (status, expires_at);
CREATE INDEX reservations_order_line ON reservations (order_line_id);
CREATE INDEX reservations_level ON reservations (variant_id, location_id);

-- The ledger: every change of on_hand is one row here, never edited. The sum
-- of quantity per (variant, location) equals inventory_levels.on_hand.
CREATE TABLE stock_movements (
    id          INTEGER PRIMARY KEY,
    variant_id  INTEGER NOT NULL REFERENCES variants (id) ON DELETE RESTRICT,
    location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE RESTRICT,
    quantity    INTEGER NOT NULL CHECK (quantity <> 0),
    reason      TEXT    NOT NULL
                CHECK (reason IN ('receive', 'sale', 'return', 'adjust', 'transfer', 'lost',
                                  'found')),
    reference   TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX stock_movements_level ON stock_movements (variant_id, location_id, created_at);
CREATE INDEX stock_movements_time ON stock_movements (created_at);

CREATE TRIGGER stock_movements_no_update
BEFORE UPDATE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock_movements is append-only');
END;

CREATE TRIGGER stock_movements_no_delete
BEFORE DELETE ON stock_movements
BEGIN
    SELECT RAISE(ABORT, 'stock_movements is append-only');
END;

CREATE TABLE payments (
    id                 INTEGER PRIMARY KEY,
    order_id           INTEGER NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    gateway            TEXT    NOT NULL CHECK (gateway IN ('manual', 'stripe')),
    -- The gateway's own id (a Stripe PaymentIntent id); empty for manual.
    provider_reference TEXT    NOT NULL DEFAULT '',
    state              TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'requires_action', 'authorized',
                                        'captured', 'failed', 'cancelled', 'refunded',
                                        'partially_refunded')),
    amount             INTEGER NOT NULL CHECK (amount >= 0),
    currency           TEXT    NOT NULL
                       CHECK (length(currency) = 3 AND currency = upper(currency)),
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX payments_order ON payments (order_id);
CREATE UNIQUE INDEX payments_provider_reference
    ON payments (gateway, provider_reference) WHERE provider_reference <> '';

CREATE TABLE payment_events (
    id          INTEGER PRIMARY KEY,
    payment_id  INTEGER NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    type        TEXT    NOT NULL,
    from_state  TEXT,
    to_state    TEXT,
    payload     TEXT    NOT NULL DEFAULT '{}',
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX payment_events_payment ON payment_events (payment_id, id);

CREATE TABLE refunds (
    id                 INTEGER PRIMARY KEY,
    payment_id         INTEGER NOT NULL REFERENCES payments (id) ON DELETE RESTRICT,
    order_id           INTEGER NOT NULL REFERENCES orders (id) ON DELETE RESTRICT,
    amount             INTEGER NOT NULL CHECK (amount > 0),
    currency           TEXT    NOT NULL
                       CHECK (length(currency) = 3 AND currency = upper(currency)),
    reason             TEXT    NOT NULL DEFAULT '',
    state              TEXT    NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'succeeded', 'failed')),
    provider_reference TEXT    NOT NULL DEFAULT '',
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX refunds_payment ON refunds (payment_id);
CREATE INDEX refunds_order ON refunds (order_id);

-- One row per (scope, key): scope is who sent it (e.g. the API key id) and
-- what was called; response_status stays NULL while the first request runs.
CREATE TABLE idempotency_keys (
    id                  INTEGER PRIMARY KEY,
    scope               TEXT    NOT NULL DEFAULT '',
    key                 TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_fingerprint TEXT    NOT NULL,
    response_status     INTEGER,
    response_headers    TEXT    NOT NULL DEFAULT '{}',
    response_body       TEXT,
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Keys are shown once; only a SHA-256 of the whole key (hex) is kept. The
-- prefix is the public, non-secret start of the key, used to find the row.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL DEFAULT '',
    prefix       TEXT    NOT NULL UNIQUE,
    key_hash     TEXT    NOT NULL UNIQUE CHECK (length(key_hash) = 64),
    -- Space-separated subset of: read write admin.
    scopes       TEXT    NOT NULL CHECK (length(scopes) > 0),
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE low_stock_alerts (
    id          INTEGER PRIMARY KEY,
    variant_id  INTEGER NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    location_id INTEGER NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    level       TEXT    NOT NULL CHECK (level IN ('low', 'critical', 'out')),
    available   INTEGER NOT NULL,
    threshold   INTEGER NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    resolved_at TEXT
);
-- At most one open alert per level row.
CREATE UNIQUE INDEX low_stock_alerts_open
    ON low_stock_alerts (variant_id, location_id) WHERE resolved_at IS NULL;

CREATE TABLE processed_webhook_events (
    id           INTEGER PRIMARY KEY,
    provider     TEXT    NOT NULL,
    event_id     TEXT    NOT NULL,
    event_type   TEXT    NOT NULL DEFAULT '',
    processed_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (provider, event_id)
);
