ALTER TABLE claim_batches DROP COLUMN lease_until;
ALTER TABLE claim_batches DROP COLUMN leased_by;
