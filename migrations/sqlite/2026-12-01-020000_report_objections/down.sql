DROP TABLE report_objections;
