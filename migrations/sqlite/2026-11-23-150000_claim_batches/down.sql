DROP TABLE claim_batch_items;
DROP TABLE claim_batches;
