-- Page segments (docs/performance.md, "Page-filtered queries: page segments"): per site-local day and page P with at
-- least SessionRollups.MinPageSessions untouched sessions containing P that day, the visit rows (dim 0: the day's
-- totals; dim = a visit dimension's code) counted over the untouched visitors' sessions that contain a hit on P:
-- visitors, visits, bounces and duration of those sessions, pageviews and events of their hits on P only (what a
-- page-filtered query counts), and the sessions' own pageviews (views per visit). rollup_page_days lists the (day, page)
-- pairs whose rows are complete; a page-filtered query reads those days from the rows and the others through the
-- session route. Both keys start with (site_id, day): a day's rebuild, a purge and the raw-hit retention delete a key
-- range. Existing days get their rows when they are next rebuilt (until then the session route answers for them).
CREATE TABLE {schema}.rollup_page_days (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    path text COLLATE "C" NOT NULL,
    PRIMARY KEY (site_id, day, path)
);

CREATE TABLE {schema}.rollup_page_visits (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    path text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    visits bigint NOT NULL,
    bounces bigint NOT NULL,
    duration_ms bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    session_pv bigint NOT NULL,
    PRIMARY KEY (site_id, day, path, dim, value) INCLUDE (visitors, visits, bounces, duration_ms, pageviews, events, session_pv)
);
