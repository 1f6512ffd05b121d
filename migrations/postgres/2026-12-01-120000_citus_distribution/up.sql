-- Ready for Citus (issue 20), with the provider (مرکز درمانی) as the distribution key of the claim
-- side: a provider's claims, their lines, documents, reviews, objections, monthly lists,
-- samples, advances, settlements and report rows all live on one shard, so intake and review
-- stay single-shard. Citus requires it of a distributed table: every primary key and unique key
-- holds the distribution column, and a foreign key between two distributed tables includes it
-- on both sides. The rest (master data, tariffs, insured persons, pre-authorizations,
-- reimbursements, payment orders, budgets, the office turnaround) are reference tables, copied
-- to every node; the audit chain, the outbox and case_attachments stay local on the
-- coordinator. tests/api/migrations.rs (every_table_has_a_citus_placement) holds the three
-- lists; a new table goes in one of them.
--
-- provider_id goes LAST in every key, so that every look-up by id, claim_id or batch_id keeps
-- its index prefix, on plain PostgreSQL and on each shard. No uniqueness changes: an id
-- already determines its provider.

-- 1. provider_id where it is missing, copied from the parent row.
ALTER TABLE claim_lines ADD COLUMN provider_id TEXT;
UPDATE claim_lines t SET provider_id = c.provider_id FROM claims c WHERE c.id = t.claim_id;
ALTER TABLE claim_lines ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE attachments ADD COLUMN provider_id TEXT;
UPDATE attachments t SET provider_id = c.provider_id FROM claims c WHERE c.id = t.claim_id;
ALTER TABLE attachments ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE claim_batch_items ADD COLUMN provider_id TEXT;
UPDATE claim_batch_items t SET provider_id = b.provider_id FROM claim_batches b WHERE b.id = t.batch_id;
ALTER TABLE claim_batch_items ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE claim_reviews ADD COLUMN provider_id TEXT;
UPDATE claim_reviews t SET provider_id = c.provider_id FROM claims c WHERE c.id = t.claim_id;
ALTER TABLE claim_reviews ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE review_decisions ADD COLUMN provider_id TEXT;
UPDATE review_decisions t SET provider_id = c.provider_id FROM claims c WHERE c.id = t.claim_id;
ALTER TABLE review_decisions ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE objections ADD COLUMN provider_id TEXT;
UPDATE objections t SET provider_id = c.provider_id FROM claims c WHERE c.id = t.claim_id;
ALTER TABLE objections ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE review_sample_claims ADD COLUMN provider_id TEXT;
UPDATE review_sample_claims t SET provider_id = s.provider_id FROM review_samples s WHERE s.id = t.sample_id;
ALTER TABLE review_sample_claims ALTER COLUMN provider_id SET NOT NULL;

ALTER TABLE settlement_items ADD COLUMN provider_id TEXT;
UPDATE settlement_items t SET provider_id = s.provider_id FROM settlements s WHERE s.id = t.settlement_id;
ALTER TABLE settlement_items ALTER COLUMN provider_id SET NOT NULL;

-- 2. The foreign keys into the keys that change (every one is between two claim-side tables;
-- no other table references the claim side).
ALTER TABLE claim_lines          DROP CONSTRAINT claim_lines_claim_id_fkey;
ALTER TABLE attachments          DROP CONSTRAINT attachments_claim_id_fkey;
ALTER TABLE claim_batch_items    DROP CONSTRAINT claim_batch_items_batch_id_fkey;
ALTER TABLE claim_reviews        DROP CONSTRAINT claim_reviews_claim_id_fkey;
ALTER TABLE review_decisions     DROP CONSTRAINT review_decisions_claim_id_fkey;
ALTER TABLE objections           DROP CONSTRAINT objections_claim_id_fkey;
ALTER TABLE review_sample_claims DROP CONSTRAINT review_sample_claims_claim_id_fkey,
                                 DROP CONSTRAINT review_sample_claims_sample_id_fkey;
ALTER TABLE settlement_items     DROP CONSTRAINT settlement_items_claim_id_fkey,
                                 DROP CONSTRAINT settlement_items_settlement_id_fkey;
ALTER TABLE service_flags        DROP CONSTRAINT service_flags_claim_id_fkey;

-- 3. The keys, provider_id last. provider_month_totals, settlements' (provider_id,
-- service_month), claims_provider_document and the report tables' keys already hold it.
ALTER TABLE claims               DROP CONSTRAINT claims_pkey,               ADD PRIMARY KEY (id, provider_id);
ALTER TABLE claim_lines          DROP CONSTRAINT claim_lines_pkey,          ADD PRIMARY KEY (claim_id, line_no, provider_id);
ALTER TABLE attachments          DROP CONSTRAINT attachments_pkey,          ADD PRIMARY KEY (id, provider_id);
ALTER TABLE claim_batches        DROP CONSTRAINT claim_batches_pkey,        ADD PRIMARY KEY (id, provider_id);
ALTER TABLE claim_batch_items    DROP CONSTRAINT claim_batch_items_pkey,    ADD PRIMARY KEY (batch_id, seq, provider_id);
ALTER TABLE claim_reviews        DROP CONSTRAINT claim_reviews_pkey,        ADD PRIMARY KEY (claim_id, provider_id);
ALTER TABLE review_decisions     DROP CONSTRAINT review_decisions_pkey,     ADD PRIMARY KEY (id, provider_id);
ALTER TABLE objections           DROP CONSTRAINT objections_pkey,           ADD PRIMARY KEY (id, provider_id);
ALTER TABLE review_samples       DROP CONSTRAINT review_samples_pkey,       ADD PRIMARY KEY (id, provider_id);
ALTER TABLE review_sample_claims DROP CONSTRAINT review_sample_claims_pkey, ADD PRIMARY KEY (sample_id, claim_id, provider_id);
ALTER TABLE advances             DROP CONSTRAINT advances_pkey,             ADD PRIMARY KEY (id, provider_id),
                                 DROP CONSTRAINT advances_batch_id_key,     ADD UNIQUE (batch_id, provider_id);
ALTER TABLE settlements          DROP CONSTRAINT settlements_pkey,          ADD PRIMARY KEY (id, provider_id);
ALTER TABLE settlement_items     DROP CONSTRAINT settlement_items_pkey,     ADD PRIMARY KEY (settlement_id, claim_id, provider_id);
ALTER TABLE service_flags        DROP CONSTRAINT service_flags_pkey,        ADD PRIMARY KEY (id, provider_id);
-- An attachment stored twice on one claim is the same attachment; a line flagged twice, the
-- same flag (the services rely on these refusing the second insert).
DROP INDEX attachments_claim_hash;
CREATE UNIQUE INDEX attachments_claim_hash ON attachments(claim_id, sha256, provider_id);
DROP INDEX service_flags_claim_line;
CREATE UNIQUE INDEX service_flags_claim_line ON service_flags(claim_id, line_no, provider_id);

-- 4. The foreign keys again, provider_id on both sides: a claim's rows can only be on its
-- provider's shard.
ALTER TABLE claim_lines          ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE attachments          ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE claim_batch_items    ADD FOREIGN KEY (batch_id, provider_id) REFERENCES claim_batches (id, provider_id);
ALTER TABLE claim_reviews        ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE review_decisions     ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE objections           ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE review_sample_claims ADD FOREIGN KEY (sample_id, provider_id) REFERENCES review_samples (id, provider_id),
                                 ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE settlement_items     ADD FOREIGN KEY (settlement_id, provider_id) REFERENCES settlements (id, provider_id),
                                 ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);
ALTER TABLE service_flags        ADD FOREIGN KEY (claim_id, provider_id) REFERENCES claims (id, provider_id);

-- 5. On a server with the citus extension only (elsewhere nothing happens): the reference
-- tables first, each after the tables it references, then the claim side, claims first and
-- each table after its parents, all in claims' colocation group. Sequential mode, because this
-- transaction mixes reference and distributed DDL. On a database with data Citus copies the rows
-- and leaves the local ones on disk; truncate_local_data_after_distributing_table frees them
-- once the copy is checked. Keep the table's name the first quoted argument of each call:
-- the test parses them.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

    PERFORM create_reference_table('provinces');
    PERFORM create_reference_table('offices');
    PERFORM create_reference_table('users');
    PERFORM create_reference_table('auth_tokens');
    PERFORM create_reference_table('api_keys');
    PERFORM create_reference_table('tariff_revisions');
    PERFORM create_reference_table('tariff_files');
    PERFORM create_reference_table('providers');
    PERFORM create_reference_table('contracts');
    PERFORM create_reference_table('contract_versions');
    PERFORM create_reference_table('contract_events');
    PERFORM create_reference_table('insured_persons');
    PERFORM create_reference_table('coverage_periods');
    PERFORM create_reference_table('preauthorizations');
    PERFORM create_reference_table('payment_orders');
    PERFORM create_reference_table('reimbursements');
    PERFORM create_reference_table('reimbursement_lines');
    PERFORM create_reference_table('budgets');
    PERFORM create_reference_table('report_turnaround');

    PERFORM create_distributed_table('claims', 'provider_id');
    PERFORM create_distributed_table('claim_lines', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('attachments', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('claim_batches', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('claim_batch_items', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('provider_month_totals', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('claim_reviews', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('review_decisions', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('objections', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('review_samples', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('review_sample_claims', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('advances', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('settlements', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('settlement_items', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('service_flags', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('report_months', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('report_deductions', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('report_objections', 'provider_id', colocate_with => 'claims');
    PERFORM create_distributed_table('report_turnaround_providers', 'provider_id', colocate_with => 'claims');
  END IF;
END $$;
