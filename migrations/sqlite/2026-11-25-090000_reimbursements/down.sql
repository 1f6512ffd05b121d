DROP TABLE reimbursement_lines;
DROP TABLE reimbursements;
