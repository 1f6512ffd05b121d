-- Reimbursing insured persons (بازپرداخت هزینه به بیمه‌شده) for non-contracted care, support
-- items (prosthesis and orthosis) and travel. One request per receipt set; its documents are
-- case_attachments with case_kind 'reimbursement'.
CREATE TABLE reimbursements (
    id TEXT PRIMARY KEY NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices(id),
    -- The patient, and the main insured who files and is paid (a dependant's request is the
    -- main insured's). Who approved a four-eyes decision, and the bank's payment, are in the
    -- audit trail and the payment order.
    insured_id TEXT NOT NULL REFERENCES insured_persons(id),
    main_insured_id TEXT NOT NULL REFERENCES insured_persons(id),
    filed_by TEXT NOT NULL REFERENCES users(id),
    -- 'care', 'support_item', 'travel'.
    benefit TEXT NOT NULL,
    setting TEXT NULL,
    kind TEXT NULL,
    provider_name TEXT NOT NULL,
    provider_kind TEXT NOT NULL,
    prescription_tracking_code TEXT NULL,
    prescribed_on DATE NULL,
    admitted_on DATE NULL,
    discharged_on DATE NULL,
    diagnoses TEXT NOT NULL,
    -- JSON: the travel conditions (origin, destination, council approval, companion).
    travel TEXT NULL,
    sheba TEXT NOT NULL,
    account_holder TEXT NOT NULL,
    -- 'draft', 'in_review', 'awaiting_approval', 'approved', 'partially_approved', 'rejected',
    -- 'ordered', 'paid'.
    status TEXT NOT NULL,
    paid_total BIGINT NOT NULL,
    reimbursed BIGINT NOT NULL,
    franchise BIGINT NOT NULL,
    above_tariff BIGINT NOT NULL,
    not_covered BIGINT NOT NULL,
    -- What the engine computed at submission, before any reviewer (the four-eyes basis).
    machine_reimbursed BIGINT NULL,
    submitted_at TIMESTAMP NULL,
    -- A reviewer's decision waiting for a supervisor: JSON {lines, note}.
    proposal TEXT NULL,
    decided_by TEXT NULL REFERENCES users(id),
    decided_at TIMESTAMP NULL,
    decision_note TEXT NULL,
    payment_order_id TEXT NULL REFERENCES payment_orders(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reimbursements_main ON reimbursements(main_insured_id);
CREATE INDEX reimbursements_insured ON reimbursements(insured_id);
CREATE INDEX reimbursements_office_status ON reimbursements(office_id, status);
CREATE INDEX reimbursements_order ON reimbursements(payment_order_id);

-- Its lines, priced: billed = what the insured paid; insurer_payable = reimbursed;
-- patient_share = franchise; deducted = above the tariff + not covered (by reason code).
CREATE TABLE reimbursement_lines (
    reimbursement_id TEXT NOT NULL REFERENCES reimbursements(id),
    line_no INTEGER NOT NULL,
    item_type TEXT NOT NULL,
    code TEXT NOT NULL,
    quantity TEXT NOT NULL,
    service_date DATE NOT NULL,
    status TEXT NOT NULL,
    billed BIGINT NOT NULL,
    tariff_amount BIGINT NOT NULL,
    insurer_payable BIGINT NOT NULL,
    patient_share BIGINT NOT NULL,
    patient_gap BIGINT NOT NULL,
    deducted BIGINT NOT NULL,
    reasons TEXT NOT NULL,
    cost_sharing_rule TEXT NULL,
    tariff_year INTEGER NULL,
    tariff_status TEXT NULL,
    renewable_on DATE NULL,
    PRIMARY KEY (reimbursement_id, line_no)
);
CREATE INDEX reimbursement_lines_code ON reimbursement_lines(code, service_date);
