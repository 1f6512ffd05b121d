-- Pre-authorization (تأیید قبلی), documents on cases other than claims, and sampling for review
-- with extrapolated deductions (R92).

-- A provider's request to approve a code before treating (an expensive drug, an MRI, a
-- surgery), decided by a medical advisor (پزشک معتمد): approved with a validity window and a
-- quantity, or refused with a reason.
CREATE TABLE preauthorizations (
    id TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    insured_id TEXT NOT NULL REFERENCES insured_persons(id),
    national_code TEXT NOT NULL,
    item_type TEXT NOT NULL,
    code TEXT NOT NULL,
    -- Decimal quantities as text, as on claim lines.
    quantity TEXT NOT NULL,
    diagnoses TEXT NOT NULL,
    justification TEXT NOT NULL,
    -- 'requested', 'approved' or 'rejected'.
    status TEXT NOT NULL,
    approved_quantity TEXT NULL,
    valid_from DATE NULL,
    valid_to DATE NULL,
    -- The reason code of a refusal (R91 unless another fits).
    decision_reason TEXT NULL,
    decision_note TEXT NULL,
    decided_by TEXT NULL REFERENCES users(id),
    decided_at TIMESTAMP NULL,
    requested_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX preauthorizations_insured_code ON preauthorizations(insured_id, code);
CREATE INDEX preauthorizations_provider ON preauthorizations(provider_id, created_at);
CREATE INDEX preauthorizations_office_status ON preauthorizations(office_id, status, created_at);

-- The approval a claim line used; its quantity counts against the approval's.
ALTER TABLE claim_lines ADD COLUMN preauthorization_id TEXT NULL REFERENCES preauthorizations(id);
CREATE INDEX claim_lines_preauthorization ON claim_lines(preauthorization_id);

-- Scanned documents of a case that is not a claim: a pre-authorization request, an objection
-- (and, later, a reimbursement request). Same storage and stamp as a claim's attachments.
CREATE TABLE case_attachments (
    id TEXT PRIMARY KEY NOT NULL,
    -- 'preauthorization' or 'objection'.
    case_kind TEXT NOT NULL,
    case_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    document_type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    original_name TEXT NULL,
    stamp_office TEXT NOT NULL,
    stamp_user_name TEXT NOT NULL,
    stamp_user_code TEXT NOT NULL,
    stamp_date DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX case_attachments_once ON case_attachments(case_kind, case_id, sha256);

-- An office's sample of a provider's decided claims of a month (openIMIS claim_sampling): the
-- selected ones go back to the review queue; once they are decided, the rate the reviewers
-- cut may be applied to the rest as an R92 deduction.
CREATE TABLE review_samples (
    id TEXT PRIMARY KEY NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices(id),
    provider_id TEXT NOT NULL REFERENCES providers(id),
    service_month TEXT NOT NULL,
    -- 'random', 'above_amount' or 'all'.
    method TEXT NOT NULL,
    percent TEXT NULL,
    above_amount BIGINT NULL,
    -- 'open', 'extrapolated' or 'closed' (closed without extrapolating).
    status TEXT NOT NULL,
    -- The deduction rate found (a decimal fraction, as text) once extrapolated.
    rate TEXT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    closed_by TEXT NULL REFERENCES users(id),
    closed_at TIMESTAMP NULL
);
CREATE INDEX review_samples_office ON review_samples(office_id, created_at);

-- Every claim of the sampled population: selected for review or not, and its payable when the
-- sample was drawn.
CREATE TABLE review_sample_claims (
    sample_id TEXT NOT NULL REFERENCES review_samples(id),
    claim_id TEXT NOT NULL REFERENCES claims(id),
    selected BOOLEAN NOT NULL,
    payable_at_sampling BIGINT NOT NULL,
    PRIMARY KEY (sample_id, claim_id)
);
CREATE INDEX review_sample_claims_claim ON review_sample_claims(claim_id);
