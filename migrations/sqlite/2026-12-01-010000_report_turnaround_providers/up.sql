-- The turnaround histogram by provider (issue 19): the reports take a provider and a provider
-- kind filter, and percentiles cannot be summed from the offices' histograms, so each event is
-- also counted here, next to `report_turnaround` and in the same transaction
-- (store::reports::add_turnaround). The reports read this table only when a provider or kind is
-- chosen; the office table stays the small one the national and office dashboards read.
--
-- The history counted before this table existed has no provider: it is carried over under the
-- provider '' so that both tables hold the same events (services::reports::verify compares
-- them). No provider or kind filter matches ''; hence no REFERENCES on provider_id.
CREATE TABLE report_turnaround_providers (
    provider_id TEXT NOT NULL,
    month TEXT NOT NULL,
    stage TEXT NOT NULL,
    days BIGINT NOT NULL,
    office_id TEXT NOT NULL REFERENCES offices(id),
    claims BIGINT NOT NULL,
    PRIMARY KEY (provider_id, month, stage, days, office_id)
);
-- An office's or a province's providers of one kind.
CREATE INDEX report_turnaround_providers_office ON report_turnaround_providers(office_id, stage, month);

INSERT INTO report_turnaround_providers (provider_id, month, stage, days, office_id, claims)
SELECT '', month, stage, days, office_id, claims FROM report_turnaround;
