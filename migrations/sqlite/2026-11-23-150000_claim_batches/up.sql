-- Monthly lists (لیست ماهانه): a provider's month of documents, adjudicated in the background.
-- Each document is an item; an item still 'pending' after a restart is processed then.
CREATE TABLE claim_batches (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers(id),
    created_by TEXT NOT NULL,
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX claim_batches_status ON claim_batches(status);

CREATE TABLE claim_batch_items (
    batch_id TEXT NOT NULL REFERENCES claim_batches(id),
    seq INTEGER NOT NULL,
    provider_document_no TEXT,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    claim_id TEXT,
    http_status INTEGER,
    error TEXT,
    PRIMARY KEY (batch_id, seq)
);
