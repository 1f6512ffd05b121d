ALTER TABLE audit_head DROP COLUMN authenticated_from;
ALTER TABLE audit_events DROP COLUMN mac;
