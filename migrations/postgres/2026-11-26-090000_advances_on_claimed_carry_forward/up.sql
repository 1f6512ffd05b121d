-- Paying providers, second step (issue 8).
--
-- The advance is computed when the monthly list has been read (its documents adjudicated), on
-- what the provider claims from the Organization: billed minus the franchise and the
-- private–government gap the patient paid at the counter. The deadline still runs from receipt.
ALTER TABLE claim_batches ADD COLUMN received_on DATE NULL;

-- A settlement whose net is negative (recoveries larger than the month) is not paid: it is
-- 'carried' and the provider's next settlement nets it (carried_in). carried_to names the
-- settlement that took it over.
ALTER TABLE settlements ADD COLUMN carried_in BIGINT NOT NULL DEFAULT 0;
ALTER TABLE settlements ADD COLUMN carried_to TEXT NULL;
