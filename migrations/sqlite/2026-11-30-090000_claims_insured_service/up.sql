-- The claim page lists the same insured person's other claims of 90 days (issue 17). Filtered by
-- the caller's office too, the planner took claims_office_status_created and read the whole
-- office (≈120 ms at 100,000 claims); an index on (insured_id, first_service_date) answers it in
-- a fraction of a millisecond. It replaces claims(insured_id), its prefix, so intake still
-- maintains the same number of indexes (the engine's history reads through the same prefix).
CREATE INDEX claims_insured_service ON claims(insured_id, first_service_date);
DROP INDEX claims_insured;
