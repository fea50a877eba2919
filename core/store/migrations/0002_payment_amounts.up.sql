-- What each payment has moved, in minor units of its currency, so that a
-- partial capture is recorded as the amount taken, not the amount asked for:
-- `authorized` is held at the gateway, `captured` taken. A capture is final
-- (the gateway releases what it did not take), so authorized = captured once
-- anything is captured.
ALTER TABLE payments ADD COLUMN authorized INTEGER NOT NULL DEFAULT 0 CHECK (authorized >= 0);
ALTER TABLE payments ADD COLUMN captured INTEGER NOT NULL DEFAULT 0 CHECK (captured >= 0);
UPDATE payments SET authorized = amount, captured = amount
    WHERE state IN ('captured', 'partially_refunded', 'refunded');
UPDATE payments SET authorized = amount WHERE state = 'authorized';

-- A gateway refund is found again by the gateway's id when its webhook comes.
CREATE UNIQUE INDEX refunds_provider_reference
    ON refunds (payment_id, provider_reference) WHERE provider_reference <> '';

-- A refund whose call to the gateway got no answer (network, 5xx after the
-- retries): still pending, and sent again under its own Idempotency-Key by
-- the next refund call, unlike one whose call is simply still in flight.
ALTER TABLE refunds ADD COLUMN unanswered INTEGER NOT NULL DEFAULT 0
    CHECK (unanswered IN (0, 1));
