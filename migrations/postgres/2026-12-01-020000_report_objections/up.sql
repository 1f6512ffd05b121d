-- The provider-quality report's objections (اعتراض به کسورات), by the objected claim's office,
-- provider and Jalali service month: filed, decided, and upheld (decided by an applied review
-- decision that raised the claim's payable). Kept exact in the transaction that files or
-- decides an objection (services::reports::restate_objection), recounted by
-- `reports::verify`, rebuilt by `reports::rebuild`. It replaces reading the whole
-- `objections` table (and the decisions that answered them) on every request of the report.
CREATE TABLE report_objections (
    office_id TEXT NOT NULL REFERENCES offices(id),
    provider_id TEXT NOT NULL REFERENCES providers(id),
    service_month TEXT NOT NULL,
    objections BIGINT NOT NULL,
    decided BIGINT NOT NULL,
    upheld BIGINT NOT NULL,
    PRIMARY KEY (office_id, provider_id, service_month)
);

-- A database with objections gets the aggregate counted once, here, by the same definitions.
-- The decisions are found through review_decisions_claim (the claim first, then the
-- objection).
INSERT INTO report_objections (office_id, provider_id, service_month, objections, decided, upheld)
SELECT c.office_id, c.provider_id, c.service_month,
       COUNT(*),
       SUM(CASE WHEN o.status = 'decided' THEN 1 ELSE 0 END),
       SUM(CASE WHEN o.status = 'decided' AND EXISTS (
               SELECT 1 FROM review_decisions d
               WHERE d.claim_id = o.claim_id AND d.objection_id = o.id AND d.status = 'applied'
                 AND d.payable_after > d.payable_before)
           THEN 1 ELSE 0 END)
FROM objections o
JOIN claims c ON c.id = o.claim_id
GROUP BY c.office_id, c.provider_id, c.service_month;
