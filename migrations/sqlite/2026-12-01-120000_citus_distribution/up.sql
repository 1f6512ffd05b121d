-- Ready for Citus (issue 20): on PostgreSQL the claim side is keyed by provider (مرکز درمانی),
-- the distribution key, and every table hanging off a claim, a monthly list, a sample or a
-- settlement carries its provider_id. SQLite is one file on one node: here the column is only
-- added and filled, so that both backends have the same columns and the code writes and joins
-- on it alike. The keys are not rebuilt (SQLite cannot alter a key in place, and nothing is
-- distributed here). The default '' is there because SQLite cannot add a NOT NULL column
-- without one; every row is filled below and the service always writes the provider.
ALTER TABLE claim_lines ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE claim_lines SET provider_id = (SELECT c.provider_id FROM claims c WHERE c.id = claim_lines.claim_id);

ALTER TABLE attachments ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE attachments SET provider_id = (SELECT c.provider_id FROM claims c WHERE c.id = attachments.claim_id);

ALTER TABLE claim_batch_items ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE claim_batch_items
   SET provider_id = (SELECT b.provider_id FROM claim_batches b WHERE b.id = claim_batch_items.batch_id);

ALTER TABLE claim_reviews ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE claim_reviews SET provider_id = (SELECT c.provider_id FROM claims c WHERE c.id = claim_reviews.claim_id);

ALTER TABLE review_decisions ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE review_decisions
   SET provider_id = (SELECT c.provider_id FROM claims c WHERE c.id = review_decisions.claim_id);

ALTER TABLE objections ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE objections SET provider_id = (SELECT c.provider_id FROM claims c WHERE c.id = objections.claim_id);

ALTER TABLE review_sample_claims ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE review_sample_claims
   SET provider_id = (SELECT s.provider_id FROM review_samples s WHERE s.id = review_sample_claims.sample_id);

ALTER TABLE settlement_items ADD COLUMN provider_id TEXT NOT NULL DEFAULT '';
UPDATE settlement_items
   SET provider_id = (SELECT s.provider_id FROM settlements s WHERE s.id = settlement_items.settlement_id);
