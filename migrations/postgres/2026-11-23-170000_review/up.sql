-- Review-office workflow: who is working a claim, reviewers' decisions (with the
-- supervisor's second approval), providers' objections, the hash-chained audit trail and
-- the notification outbox.

-- A claim's review bookkeeping, one row once a reviewer touches it: who has taken it (at most
-- one: taking is a conditional update), whose decision closed it (an objection goes to someone
-- else), and when the provider was told (the objection window counts from there).
CREATE TABLE claim_reviews (
    claim_id TEXT PRIMARY KEY NOT NULL REFERENCES claims(id),
    assigned_to TEXT NULL REFERENCES users(id),
    assigned_at TIMESTAMP NULL,
    reviewed_by TEXT NULL REFERENCES users(id),
    decided_at TIMESTAMP NULL
);
CREATE INDEX claims_office_status_created ON claims(office_id, status, created_at);

-- A manual decision on a claim: the reviewer's lines, the payable before and after, and, above
-- the four-eyes threshold, the supervisor who approved it.
CREATE TABLE review_decisions (
    id TEXT PRIMARY KEY NOT NULL,
    claim_id TEXT NOT NULL REFERENCES claims(id),
    -- 'review' (a pended or sampled claim) or 'objection' (a provider's objection).
    origin TEXT NOT NULL,
    objection_id TEXT NULL,
    decided_by TEXT NOT NULL REFERENCES users(id),
    -- 'awaiting_approval', 'applied' or 'returned'.
    status TEXT NOT NULL,
    lines TEXT NOT NULL,
    note TEXT NULL,
    payable_before BIGINT NOT NULL,
    payable_after BIGINT NOT NULL,
    approved_by TEXT NULL REFERENCES users(id),
    approved_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX review_decisions_claim ON review_decisions(claim_id);

-- A provider's objection to deductions (اعتراض به کسورات).
CREATE TABLE objections (
    id TEXT PRIMARY KEY NOT NULL,
    claim_id TEXT NOT NULL REFERENCES claims(id),
    filed_by TEXT NOT NULL REFERENCES users(id),
    reason TEXT NOT NULL,
    -- JSON array of the objected line numbers.
    line_nos TEXT NOT NULL,
    -- 'open', 'awaiting_approval' or 'decided'.
    status TEXT NOT NULL,
    decided_by TEXT NULL REFERENCES users(id),
    decided_at TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX objections_claim ON objections(claim_id);

-- The audit trail: append-only, each event's hash covers the previous one's.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NULL,
    actor_name TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_state TEXT NULL,
    after_state TEXT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events(entity, entity_id);
-- The chain's head: appenders update this one row first, which serializes them on
-- PostgreSQL, and a deleted last event is detected against it.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Notifications waiting to be delivered (by e-mail, issue 7). Written in the same transaction
-- as the decision they announce, so none is lost if the mail server is down.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    recipient_kind TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NULL,
    last_error TEXT NULL
);
CREATE INDEX outbox_pending ON outbox(sent_at, next_attempt_at);
