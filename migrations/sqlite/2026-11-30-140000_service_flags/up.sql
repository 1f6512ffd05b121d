-- "I did not receive this service" (این خدمت را دریافت نکرده‌ام): an insured person's report that
-- a line of a claim billed in their (or a dependant's) name, or the whole document, was never
-- received (issue 18). It puts the claim in its office's review queue without deciding it; the
-- provider and office are copied from the claim so the reports can count flags per provider
-- without joining the claims.
CREATE TABLE service_flags (
    id TEXT PRIMARY KEY NOT NULL,
    claim_id TEXT NOT NULL REFERENCES claims(id),
    -- The flagged line's number; 0 flags the whole document.
    line_no INTEGER NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    -- The insured person whose claim it is, and the one who flagged it (a main insured may flag
    -- a dependant's claim).
    insured_id TEXT NOT NULL REFERENCES insured_persons(id),
    flagged_by TEXT NOT NULL REFERENCES insured_persons(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    note TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- The reviewer who looked into it; an open flag (NULL) keeps the claim in the queue.
    resolved_by TEXT NULL REFERENCES users(id),
    resolved_at TIMESTAMP NULL
);
-- One flag per claim and line (or document): flagging it again is the same flag.
CREATE UNIQUE INDEX service_flags_claim_line ON service_flags(claim_id, line_no);
CREATE INDEX service_flags_provider ON service_flags(provider_id, created_at);
CREATE INDEX service_flags_office ON service_flags(office_id, resolved_at);
