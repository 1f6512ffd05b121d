CREATE INDEX claims_insured ON claims(insured_id);
DROP INDEX claims_insured_service;
