-- Approved tariffs (تعرفه‌های مصوب): each imported (year, revision) keeps its validated files
-- verbatim. The service parses them into memory at start; claims record the (year, revision)
-- they were priced with, so a correction is a new revision and old claims keep theirs.
CREATE TABLE tariff_revisions (
    year INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    status TEXT NOT NULL,
    effective_from DATE NOT NULL,
    cabinet_resolution TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (year, revision)
);

CREATE TABLE tariff_files (
    year INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (year, revision, file_name),
    FOREIGN KEY (year, revision) REFERENCES tariff_revisions (year, revision) ON DELETE CASCADE
);
