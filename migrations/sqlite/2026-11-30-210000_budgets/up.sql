-- Approved annual budgets (بودجهٔ مصوب سالانه), issue 19: one amount per Jalali year, level
-- (a review office or a province's treatment management) and benefit, against which the
-- reports set the year's spending, commitment and projection (`domain::budget`). Changing an
-- amount updates the row (the audit trail keeps the previous one); it is never a second row.
CREATE TABLE budgets (
    id TEXT PRIMARY KEY NOT NULL,
    -- The Jalali year (1403).
    year INTEGER NOT NULL CHECK (year BETWEEN 1300 AND 1600),
    -- 'office' (office_id set) or 'province' (province_id set): exactly one of them.
    level TEXT NOT NULL CHECK (level IN ('office', 'province')),
    office_id TEXT NULL REFERENCES offices(id),
    province_id INTEGER NULL REFERENCES provinces(id),
    -- 'claims' (documents of contracted providers), 'reimbursements', 'devices' (prostheses and
    -- orthoses), 'travel'.
    benefit TEXT NOT NULL CHECK (benefit IN ('claims', 'reimbursements', 'devices', 'travel')),
    amount_rials BIGINT NOT NULL CHECK (amount_rials > 0),
    note TEXT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((level = 'office' AND office_id IS NOT NULL AND province_id IS NULL)
        OR (level = 'province' AND province_id IS NOT NULL AND office_id IS NULL))
);
-- One budget per year, unit and benefit. Two partial indexes: a unique index over a NULL column
-- would let duplicates through on both backends (NULLs are distinct).
CREATE UNIQUE INDEX budgets_office_unique ON budgets(year, office_id, benefit) WHERE office_id IS NOT NULL;
CREATE UNIQUE INDEX budgets_province_unique ON budgets(year, province_id, benefit) WHERE province_id IS NOT NULL;
