-- Paying providers (issue 8): advances on monthly lists, monthly settlements with their claims
-- and corrections, and payment orders. Amounts are integer rials.

-- An advance (علی‌الحساب) due on a received monthly list: the contract's percent of the claimed
-- amount, due the contract's days after receipt (Art. 38 of the 1393 law: 60 % within 2 weeks).
CREATE TABLE advances (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    service_month TEXT NOT NULL,
    -- The monthly list it was computed from.
    batch_id TEXT NOT NULL UNIQUE,
    claimed BIGINT NOT NULL,
    percent TEXT NOT NULL,
    amount BIGINT NOT NULL,
    due_on DATE NOT NULL,
    -- 'due', 'paid'; once netted by a settlement, settlement_id is set.
    status TEXT NOT NULL,
    paid_on DATE NULL,
    bank_reference TEXT NULL,
    paid_recorded_by TEXT NULL REFERENCES users(id),
    settlement_id TEXT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX advances_provider_month ON advances(provider_id, service_month);

-- One settlement (تسویه) per provider and month. Never edited after it is approved: later
-- corrections are adjustment entries of a later settlement.
CREATE TABLE settlements (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    service_month TEXT NOT NULL,
    claims_payable BIGINT NOT NULL,
    adjustments BIGINT NOT NULL,
    advances_netted BIGINT NOT NULL,
    net_payable BIGINT NOT NULL,
    due_on DATE NOT NULL,
    late_payment_rate TEXT NULL,
    -- 'approved' (created by the run), 'ordered' (in a payment order), 'paid'.
    status TEXT NOT NULL,
    payment_order_id TEXT NULL,
    paid_on DATE NULL,
    bank_reference TEXT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider_id, service_month)
);
CREATE INDEX settlements_office_month ON settlements(office_id, service_month);

-- What a settlement paid for each claim: its payable then ('claim'), or a later change of a
-- claim already settled ('adjustment': negative is a recovery).
CREATE TABLE settlement_items (
    settlement_id TEXT NOT NULL REFERENCES settlements(id),
    claim_id TEXT NOT NULL REFERENCES claims(id),
    kind TEXT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (settlement_id, claim_id)
);
CREATE INDEX settlement_items_claim ON settlement_items(claim_id);

-- A payment order (دستور پرداخت) to the bank: each settlement in at most one, paid once.
CREATE TABLE payment_orders (
    id TEXT PRIMARY KEY NOT NULL,
    total BIGINT NOT NULL,
    items INTEGER NOT NULL,
    -- 'issued', 'paid'.
    status TEXT NOT NULL,
    bank_reference TEXT NULL,
    paid_on DATE NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
