ALTER TABLE settlements DROP COLUMN carried_to;
ALTER TABLE settlements DROP COLUMN carried_in;
ALTER TABLE claim_batches DROP COLUMN received_on;
