-- Back to one plain PostgreSQL schema, with the keys and constraint names as they were before
-- (tests/api/migrations.rs compares them).

-- 5 back: on a Citus server, every table of ours back to a local table, the claim side first.
-- undistribute_table follows the foreign keys (cascade), so one call may bring back several
-- tables: each is looked up again before its own call.
DO $$
DECLARE
  t TEXT;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
    FOREACH t IN ARRAY ARRAY[
      'report_turnaround_providers', 'report_objections', 'report_deductions', 'report_months',
      'service_flags', 'settlement_items', 'settlements', 'advances', 'review_sample_claims',
      'review_samples', 'objections', 'review_decisions', 'claim_reviews', 'provider_month_totals',
      'claim_batch_items', 'claim_batches', 'attachments', 'claim_lines', 'claims',
      'report_turnaround', 'budgets', 'reimbursement_lines', 'reimbursements', 'payment_orders',
      'preauthorizations', 'coverage_periods', 'insured_persons', 'contract_events',
      'contract_versions', 'contracts', 'providers', 'tariff_files', 'tariff_revisions',
      'api_keys', 'auth_tokens', 'users', 'offices', 'provinces']
    LOOP
      IF EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = to_regclass(t)) THEN
        PERFORM undistribute_table(to_regclass(t), cascade_via_foreign_keys => true);
      END IF;
    END LOOP;
  END IF;
END $$;

-- 4 back: the foreign keys that carry provider_id.
ALTER TABLE claim_lines          DROP CONSTRAINT claim_lines_claim_id_provider_id_fkey;
ALTER TABLE attachments          DROP CONSTRAINT attachments_claim_id_provider_id_fkey;
ALTER TABLE claim_batch_items    DROP CONSTRAINT claim_batch_items_batch_id_provider_id_fkey;
ALTER TABLE claim_reviews        DROP CONSTRAINT claim_reviews_claim_id_provider_id_fkey;
ALTER TABLE review_decisions     DROP CONSTRAINT review_decisions_claim_id_provider_id_fkey;
ALTER TABLE objections           DROP CONSTRAINT objections_claim_id_provider_id_fkey;
ALTER TABLE review_sample_claims DROP CONSTRAINT review_sample_claims_sample_id_provider_id_fkey,
                                 DROP CONSTRAINT review_sample_claims_claim_id_provider_id_fkey;
ALTER TABLE settlement_items     DROP CONSTRAINT settlement_items_settlement_id_provider_id_fkey,
                                 DROP CONSTRAINT settlement_items_claim_id_provider_id_fkey;
ALTER TABLE service_flags        DROP CONSTRAINT service_flags_claim_id_provider_id_fkey;

-- 3 back: the keys as they were (the default names come back: <table>_pkey,
-- advances_batch_id_key).
ALTER TABLE claims               DROP CONSTRAINT claims_pkey,               ADD PRIMARY KEY (id);
ALTER TABLE claim_lines          DROP CONSTRAINT claim_lines_pkey,          ADD PRIMARY KEY (claim_id, line_no);
ALTER TABLE attachments          DROP CONSTRAINT attachments_pkey,          ADD PRIMARY KEY (id);
ALTER TABLE claim_batches        DROP CONSTRAINT claim_batches_pkey,        ADD PRIMARY KEY (id);
ALTER TABLE claim_batch_items    DROP CONSTRAINT claim_batch_items_pkey,    ADD PRIMARY KEY (batch_id, seq);
ALTER TABLE claim_reviews        DROP CONSTRAINT claim_reviews_pkey,        ADD PRIMARY KEY (claim_id);
ALTER TABLE review_decisions     DROP CONSTRAINT review_decisions_pkey,     ADD PRIMARY KEY (id);
ALTER TABLE objections           DROP CONSTRAINT objections_pkey,           ADD PRIMARY KEY (id);
ALTER TABLE review_samples       DROP CONSTRAINT review_samples_pkey,       ADD PRIMARY KEY (id);
ALTER TABLE review_sample_claims DROP CONSTRAINT review_sample_claims_pkey, ADD PRIMARY KEY (sample_id, claim_id);
ALTER TABLE advances             DROP CONSTRAINT advances_pkey,             ADD PRIMARY KEY (id),
                                 DROP CONSTRAINT advances_batch_id_provider_id_key, ADD UNIQUE (batch_id);
ALTER TABLE settlements          DROP CONSTRAINT settlements_pkey,          ADD PRIMARY KEY (id);
ALTER TABLE settlement_items     DROP CONSTRAINT settlement_items_pkey,     ADD PRIMARY KEY (settlement_id, claim_id);
ALTER TABLE service_flags        DROP CONSTRAINT service_flags_pkey,        ADD PRIMARY KEY (id);
DROP INDEX attachments_claim_hash;
CREATE UNIQUE INDEX attachments_claim_hash ON attachments(claim_id, sha256);
DROP INDEX service_flags_claim_line;
CREATE UNIQUE INDEX service_flags_claim_line ON service_flags(claim_id, line_no);

-- 2 back: the foreign keys on the id alone (default names: <table>_<column>_fkey).
ALTER TABLE claim_lines          ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE attachments          ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE claim_batch_items    ADD FOREIGN KEY (batch_id) REFERENCES claim_batches(id);
ALTER TABLE claim_reviews        ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE review_decisions     ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE objections           ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE review_sample_claims ADD FOREIGN KEY (sample_id) REFERENCES review_samples(id),
                                 ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE settlement_items     ADD FOREIGN KEY (settlement_id) REFERENCES settlements(id),
                                 ADD FOREIGN KEY (claim_id) REFERENCES claims(id);
ALTER TABLE service_flags        ADD FOREIGN KEY (claim_id) REFERENCES claims(id);

-- 1 back.
ALTER TABLE settlement_items DROP COLUMN provider_id;
ALTER TABLE review_sample_claims DROP COLUMN provider_id;
ALTER TABLE objections DROP COLUMN provider_id;
ALTER TABLE review_decisions DROP COLUMN provider_id;
ALTER TABLE claim_reviews DROP COLUMN provider_id;
ALTER TABLE claim_batch_items DROP COLUMN provider_id;
ALTER TABLE attachments DROP COLUMN provider_id;
ALTER TABLE claim_lines DROP COLUMN provider_id;
