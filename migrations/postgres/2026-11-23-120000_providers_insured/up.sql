-- Contracted providers (مراکز و پزشکان طرف قرارداد) and their contracts (قرارداد); insured
-- persons (بیمه‌شدگان), their dependants and coverage periods.

CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    name_fa TEXT NOT NULL,
    name_en TEXT,
    kind TEXT NOT NULL,
    sector TEXT NOT NULL,
    hospital_grade INTEGER,
    sso_owned BOOLEAN NOT NULL DEFAULT FALSE,
    province_id INTEGER NOT NULL REFERENCES provinces(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    -- National id of the legal entity (شناسه ملی), or the physician's council number and degree.
    legal_national_id TEXT,
    medical_council_no TEXT,
    physician_degree TEXT,
    sheba TEXT,
    email TEXT,
    phone TEXT,
    address TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX providers_legal_national_id ON providers(legal_national_id);
CREATE UNIQUE INDEX providers_medical_council_no ON providers(medical_council_no);
CREATE INDEX providers_office ON providers(office_id);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    valid_from DATE NOT NULL,
    valid_to DATE NOT NULL,
    -- The current state; the dated history is in contract_events.
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contracts_provider ON contracts(provider_id);

-- Terms by version: an amendment is a new version with its effective date.
CREATE TABLE contract_versions (
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    version INTEGER NOT NULL,
    effective_from DATE NOT NULL,
    terms TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contract_id, version)
);

-- Changes of state (activate, suspend, reinstate, terminate), with reason, date and actor.
CREATE TABLE contract_events (
    id TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL REFERENCES contracts(id),
    action TEXT NOT NULL,
    status_after TEXT NOT NULL,
    effective_on DATE NOT NULL,
    reason TEXT,
    note TEXT,
    actor TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contract_events_contract ON contract_events(contract_id);

CREATE TABLE insured_persons (
    id TEXT PRIMARY KEY,
    national_code TEXT NOT NULL UNIQUE,
    insurance_no TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    email TEXT,
    mobile TEXT,
    insurance_type TEXT NOT NULL,
    special_disease BOOLEAN NOT NULL DEFAULT FALSE,
    supplementary BOOLEAN NOT NULL DEFAULT FALSE,
    -- Dependants (Art. 58) point at their main insured.
    main_insured_id TEXT REFERENCES insured_persons(id),
    relation TEXT,
    student_until DATE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    married BOOLEAN NOT NULL DEFAULT FALSE,
    employed BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX insured_insurance_no ON insured_persons(insurance_no);
CREATE INDEX insured_last_name ON insured_persons(last_name);
CREATE INDEX insured_main ON insured_persons(main_insured_id);

CREATE TABLE coverage_periods (
    insured_id TEXT NOT NULL REFERENCES insured_persons(id) ON DELETE CASCADE,
    valid_from DATE NOT NULL,
    valid_to DATE,
    PRIMARY KEY (insured_id, valid_from)
);
