-- Undoes 0001_initial: drops every table, dependents first.
DROP TABLE processed_webhook_events;
DROP TABLE low_stock_alerts;
DROP TABLE api_keys;
DROP TABLE idempotency_keys;
DROP TABLE refunds;
DROP TABLE payment_events;
DROP TABLE payments;
DROP TABLE stock_movements;
DROP TABLE reservations;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE inventory_levels;
DROP TABLE locations;
DROP TABLE customers;
DROP TABLE variants;
DROP TABLE products;
