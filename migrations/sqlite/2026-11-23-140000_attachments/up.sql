-- The electronic file (پرونده الکترونیک): scanned documents attached to claims, stored once by
-- SHA-256 under the data directory, with the "اسکن شد" stamp of directive No. 2 (office, user
-- name and code, date) kept as metadata; the stored bytes are never altered.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL REFERENCES claims(id),
    sha256 TEXT NOT NULL,
    document_type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    original_name TEXT,
    stamp_office TEXT NOT NULL,
    stamp_user_name TEXT NOT NULL,
    stamp_user_code TEXT NOT NULL,
    stamp_date DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX attachments_claim_hash ON attachments(claim_id, sha256);
