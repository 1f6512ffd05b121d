-- The turnaround histogram by provider (issue 19): the reports take a provider and a provider
-- kind filter, and percentiles cannot be summed from the offices' histograms, so each event is
-- also counted here, next to `report_turnaround` and in the same transaction
-- (store::reports::add_turnaround). The reports read this table only when a provider or kind is
-- chosen; the office table stays the small one the national and office dashboards read.
--
-- The provider's kind is copied in (store::reports::add_turnaround when a row is created,
-- store::providers::update_provider when a provider's kind changes), so that a kind's histogram
-- is one range of an index, summed in its order: read through `providers`, the whole table was
-- read and sorted (1.2 s on PostgreSQL for the country's pharmacies).
--
-- The history counted before this table existed has no provider: it is carried over under the
-- provider '' and the kind '' so that both tables hold the same events
-- (services::reports::verify compares them). No filter matches ''; hence no REFERENCES on
-- provider_id.
CREATE TABLE report_turnaround_providers (
    provider_id TEXT NOT NULL,
    month TEXT NOT NULL,
    stage TEXT NOT NULL,
    days BIGINT NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices(id),
    provider_kind TEXT NOT NULL,
    claims BIGINT NOT NULL,
    PRIMARY KEY (provider_id, month, stage, days, office_id)
);
-- A kind's histogram, in the country, a province or an office, in GROUP BY order (covering).
CREATE INDEX report_turnaround_providers_kind
    ON report_turnaround_providers(provider_kind, stage, office_id, month, days, claims);

INSERT INTO report_turnaround_providers (provider_id, month, stage, days, office_id, provider_kind, claims)
SELECT '', month, stage, days, office_id, '', claims FROM report_turnaround;
