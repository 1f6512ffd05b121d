DROP TABLE service_flags;
