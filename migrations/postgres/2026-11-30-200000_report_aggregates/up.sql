-- Report aggregates (issue 19): the monthly sums the reports read instead of the claim lines,
-- kept exact in the same transaction as every write of a claim (store::reports). The reports
-- answer from these at national size; `reports::verify` recounts them from the lines.

-- By office, provider and Jalali service month (YYYY-MM).
CREATE TABLE report_months (
    office_id TEXT NOT NULL REFERENCES offices(id),
    provider_id TEXT NOT NULL REFERENCES providers(id),
    service_month TEXT NOT NULL,
    claims BIGINT NOT NULL,
    lines BIGINT NOT NULL,
    billed BIGINT NOT NULL,
    insurer_payable BIGINT NOT NULL,
    patient_share BIGINT NOT NULL,
    patient_gap BIGINT NOT NULL,
    deducted BIGINT NOT NULL,
    -- Decided claims, of which rejected; claims waiting for a person and what they bill
    -- (the commitment) and what the engine would pay of them.
    decided BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    pending BIGINT NOT NULL,
    pending_billed BIGINT NOT NULL,
    pending_payable BIGINT NOT NULL,
    PRIMARY KEY (office_id, provider_id, service_month)
);
CREATE INDEX report_months_month ON report_months(service_month, office_id);
CREATE INDEX report_months_provider ON report_months(provider_id, service_month);

-- The deductions by reason: how many lines carry the reason, and the amount.
CREATE TABLE report_deductions (
    office_id TEXT NOT NULL REFERENCES offices(id),
    provider_id TEXT NOT NULL REFERENCES providers(id),
    service_month TEXT NOT NULL,
    reason TEXT NOT NULL,
    lines BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (office_id, provider_id, service_month, reason)
);
CREATE INDEX report_deductions_month ON report_deductions(service_month, reason);

-- Turnaround as a histogram of whole days by office, the Jalali month of the event, and the
-- stage (`decision`: receipt to the first decision; `payment`: decision to the provider's
-- payment). Percentiles are exact on whole days.
CREATE TABLE report_turnaround (
    office_id TEXT NOT NULL REFERENCES offices(id),
    month TEXT NOT NULL,
    stage TEXT NOT NULL,
    days BIGINT NOT NULL,
    claims BIGINT NOT NULL,
    PRIMARY KEY (office_id, month, stage, days)
);

-- A province manager's province (Scope::Province).
ALTER TABLE users ADD COLUMN province_id INTEGER NULL REFERENCES provinces(id);
