-- Undoes 0002_payment_amounts.
DROP INDEX refunds_provider_reference;
ALTER TABLE refunds DROP COLUMN unanswered;
ALTER TABLE payments DROP COLUMN captured;
ALTER TABLE payments DROP COLUMN authorized;
