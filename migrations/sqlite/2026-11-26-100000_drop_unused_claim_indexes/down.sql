CREATE INDEX claims_office_status ON claims(office_id, status);
CREATE INDEX claim_lines_code_date ON claim_lines(code, service_date);
