DROP TABLE provider_month_totals;
