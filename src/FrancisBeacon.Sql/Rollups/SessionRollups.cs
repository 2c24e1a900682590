// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// Session rollups: every session of a site-local day as one row of <c>rollup_sessions</c> (its visit values and
/// counts, and what a join across midnight needs) and its hits folded into <c>rollup_session_hits</c> (one row per
/// distinct page, event name and host, with counts). Built by <see cref="HitRollups"/>'s refresh next to the other
/// rollups; answers the queries that need sessions and filters (<see cref="SessionRollupPlan"/>) exactly as the raw
/// path does, without cutting raw hits into sessions.
/// </summary>
/// <remarks>
/// A session S of day d continues session T of day d - 1 (the reference's <c>MergeAcrossMidnight</c>) when both days are in
/// the range and T does not itself continue a session of day d - 2 in the range. S's row holds T's key, counts and visit
/// values (<c>t_*</c>) and whether T has such a predecessor (<c>t_prev</c>); T's row says whether it ends late enough to be
/// continued (<c>nx_vid</c>), and the query looks its continuation up among the few linked rows. Whether the join happens
/// is decided per query from the range, so the rows never depend on it.
/// </remarks>
internal sealed partial class SessionRollups
{
    private const long TimeoutMs = 30 * 60 * 1000;

    private readonly RollupTables _t;
    private readonly string _sessions;
    private readonly string _hits;
    private readonly string _segmentEvents;
    private readonly string _segmentVisits;

    public SessionRollups(RollupTables tables)
    {
        _t = tables;
        _sessions = tables.Prefix + "rollup_sessions";
        _hits = tables.Prefix + "rollup_session_hits";
        _segmentEvents = tables.Prefix + "rollup_segment_events";
        _segmentVisits = tables.Prefix + "rollup_segment_visits";
    }

    /// <summary>
    /// The tables to clear with the other rollups (a site's rebuild, a purge, a day's rebuild, the raw-hit retention):
    /// the session rows, the segment rows (SessionRollups.Segments.cs) and the page-segment rows
    /// (SessionRollups.PageSegments.cs), which a query only uses together; the page-row backfill's marks
    /// (SessionRollups.PageBackfill.cs): a day written whole has its page rows; and the live-day list
    /// (SessionRollups.LiveDays.cs), which a whole rewrite writes again when the day is still live; and the copies of the
    /// touched sessions' rows where the store keeps them (SessionRollups.TouchedRows.cs).
    /// </summary>
    public IReadOnlyList<string> TableNames => [_sessions, _hits, _segmentEvents, _segmentVisits, PageDays, PageVisits, PageBackfill, LiveDays, .. TouchedSessionTables];
}
