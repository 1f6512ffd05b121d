-- The audit trail anchored outside the database: each event carries an HMAC-SHA256, under the
-- server's secret key (ASNAD_AUDIT_KEY_FILE), of its hash (which covers its content, its seq
-- and the previous event's hash). Someone who can write to the database but does not hold the
-- key can no longer re-hash the chain after altering, inserting or deleting an event.
ALTER TABLE audit_events ADD COLUMN mac TEXT NULL;
-- Events written before this migration have no MAC: they are checked by the plain hash chain,
-- and every authenticated event after them covers them through its prev_hash. The first seq
-- that must carry a MAC is recorded here and, from the first checkpoint on, in the checkpoint
-- log outside the database (which wins if the two disagree: the lower one is used).
ALTER TABLE audit_head ADD COLUMN authenticated_from BIGINT NOT NULL DEFAULT 1;
UPDATE audit_head SET authenticated_from = seq + 1;
