ALTER TABLE settlement_items DROP COLUMN provider_id;
ALTER TABLE review_sample_claims DROP COLUMN provider_id;
ALTER TABLE objections DROP COLUMN provider_id;
ALTER TABLE review_decisions DROP COLUMN provider_id;
ALTER TABLE claim_reviews DROP COLUMN provider_id;
ALTER TABLE claim_batch_items DROP COLUMN provider_id;
ALTER TABLE attachments DROP COLUMN provider_id;
ALTER TABLE claim_lines DROP COLUMN provider_id;
