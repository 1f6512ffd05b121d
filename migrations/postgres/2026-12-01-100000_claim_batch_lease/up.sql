-- Two processes on one database (issue 20): the monthly-list worker of each process takes a list
-- by a lease before reading it, so no list is read by two workers at once. `leased_by` names the
-- process (a random id of its start); `lease_until` is when another process may take the list
-- over if the holder stopped renewing (it died or hangs).
ALTER TABLE claim_batches ADD COLUMN leased_by TEXT NULL;
ALTER TABLE claim_batches ADD COLUMN lease_until TIMESTAMP NULL;
