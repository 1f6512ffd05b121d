DROP TABLE outbox;
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE objections;
DROP TABLE review_decisions;
DROP INDEX claims_office_status_created;
DROP TABLE claim_reviews;
