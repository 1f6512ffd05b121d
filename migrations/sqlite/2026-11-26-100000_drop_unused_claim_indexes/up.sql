-- Claim intake (issue 5): every index on claims and claim_lines is updated by every claim, by
-- the single SQLite writer. Two were never read:
-- * claim_lines(code, service_date): no query looks lines up by code; an insured person's
--   history (duplicates, intervals) goes through claims(insured_id). Ten random-position
--   B-tree inserts per claim.
-- * claims(office_id, status): a prefix of claims_office_status_created, which serves the same
--   lookups.
DROP INDEX claim_lines_code_date;
DROP INDEX claims_office_status;
