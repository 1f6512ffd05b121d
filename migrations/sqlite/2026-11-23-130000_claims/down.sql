DROP TABLE claim_lines;
DROP TABLE claims;
ALTER TABLE offices DROP COLUMN auto_approve_limit;
