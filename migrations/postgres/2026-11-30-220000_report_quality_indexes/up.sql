-- The work-accidents report (حوادث ناشی از کار، ماده ۶۶) reads the claims marked as work
-- accidents (about 1 % of them) by office and service month: this index finds them without
-- a scan of the claims.
CREATE INDEX claims_work_accident_month ON claims(work_accident, office_id, service_month);
