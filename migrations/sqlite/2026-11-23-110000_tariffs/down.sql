DROP TABLE tariff_files;
DROP TABLE tariff_revisions;
