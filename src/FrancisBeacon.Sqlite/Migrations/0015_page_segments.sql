-- Page segments (docs/performance.md, "Page-filtered queries: page segments"): per site-local day and page P with at
-- least SessionRollups.MinPageSessions untouched sessions containing P that day, the visit rows (dim 0: the day's
-- totals; dim = a visit dimension's code) counted over the untouched visitors' sessions that contain a hit on P:
-- visitors, visits, bounces and duration of those sessions, pageviews and events of their hits on P only (what a
-- page-filtered query counts), and the sessions' own pageviews (views per visit). rollup_page_days lists the (day, page)
-- pairs whose rows are complete; a page-filtered query reads those days from the rows and the others through the
-- session route. Both keys start with (site_id, day): a day's rebuild, a purge and the raw-hit retention delete a key
-- range. Existing days get their rows when they are next rebuilt (until then the session route answers for them).
CREATE TABLE {prefix}rollup_page_days (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (site_id, day, path)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_page_visits (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    path TEXT NOT NULL,
    dim INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    bounces INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    session_pv INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, path, dim, value)
) WITHOUT ROWID;
