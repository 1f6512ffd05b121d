-- What the Organization owes each provider per Jalali service month, kept as a running total:
-- the monthly-ceiling rule (R19) reads it for every claim, and summing the month's claims each
-- time grew with the month (quadratic over a month of intake).
CREATE TABLE provider_month_totals (
    provider_id TEXT NOT NULL REFERENCES providers(id),
    service_month TEXT NOT NULL,
    insurer_payable BIGINT NOT NULL,
    claims INTEGER NOT NULL,
    PRIMARY KEY (provider_id, service_month)
);
