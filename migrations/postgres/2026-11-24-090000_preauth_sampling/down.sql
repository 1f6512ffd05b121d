DROP TABLE review_sample_claims;
DROP TABLE review_samples;
DROP TABLE case_attachments;
DROP INDEX claim_lines_preauthorization;
ALTER TABLE claim_lines DROP COLUMN preauthorization_id;
DROP TABLE preauthorizations;
