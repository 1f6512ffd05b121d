-- Claims (اسناد پزشکی) sent by providers and their adjudicated lines.

-- Above this total payable a claim waits for a reviewer (NULL: no limit).
ALTER TABLE offices ADD COLUMN auto_approve_limit BIGINT;

CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    provider_document_no TEXT NOT NULL,
    insured_national_code TEXT NOT NULL,
    insured_id TEXT REFERENCES insured_persons(id),
    setting TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    -- Jalali YYYY-MM of the first service date: settlements and ceilings go by it.
    service_month TEXT NOT NULL,
    first_service_date DATE NOT NULL,
    prescription_tracking_code TEXT,
    prescribed_on DATE,
    physician_council_no TEXT,
    diagnoses TEXT NOT NULL,
    admitted_on DATE,
    discharged_on DATE,
    -- Work accidents: the Organization recovers the cost from a negligent employer (Art. 66).
    work_accident BOOLEAN NOT NULL DEFAULT FALSE,
    accident_report_no TEXT,
    employer_code TEXT,
    employer_name TEXT,
    billed BIGINT NOT NULL,
    tariff BIGINT NOT NULL,
    insurer_payable BIGINT NOT NULL,
    patient_share BIGINT NOT NULL,
    patient_gap BIGINT NOT NULL,
    deducted BIGINT NOT NULL,
    pend_notes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX claims_provider_document ON claims(provider_id, provider_document_no);
CREATE INDEX claims_insured ON claims(insured_id);
CREATE INDEX claims_provider_month ON claims(provider_id, service_month);
CREATE INDEX claims_office_status ON claims(office_id, status);
CREATE INDEX claims_employer_month ON claims(employer_code, service_month);

CREATE TABLE claim_lines (
    claim_id TEXT NOT NULL REFERENCES claims(id),
    line_no INTEGER NOT NULL,
    item_type TEXT NOT NULL,
    code TEXT NOT NULL,
    quantity TEXT NOT NULL,
    approved_quantity TEXT NOT NULL,
    service_date DATE NOT NULL,
    billed BIGINT NOT NULL,
    unit_price BIGINT,
    anesthesia_units TEXT NOT NULL,
    medical_order BOOLEAN NOT NULL,
    physician_council_no TEXT,
    status TEXT NOT NULL,
    tariff_year INTEGER,
    tariff_revision INTEGER,
    tariff_status TEXT,
    tariff_unit_price BIGINT NOT NULL,
    tariff_amount BIGINT NOT NULL,
    insurer_payable BIGINT NOT NULL,
    patient_share BIGINT NOT NULL,
    patient_gap BIGINT NOT NULL,
    deducted BIGINT NOT NULL,
    cost_sharing_rule TEXT,
    reasons TEXT NOT NULL,
    pend_reasons TEXT NOT NULL,
    PRIMARY KEY (claim_id, line_no)
);
CREATE INDEX claim_lines_code_date ON claim_lines(code, service_date);
