DROP TABLE coverage_periods;
DROP TABLE insured_persons;
DROP TABLE contract_events;
DROP TABLE contract_versions;
DROP TABLE contracts;
DROP TABLE providers;
