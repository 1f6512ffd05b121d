ALTER TABLE users DROP COLUMN province_id;
DROP TABLE report_turnaround;
DROP TABLE report_deductions;
DROP TABLE report_months;
