DROP INDEX report_deductions_reason;
