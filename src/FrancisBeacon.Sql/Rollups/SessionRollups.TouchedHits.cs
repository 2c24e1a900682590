// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using Dapper;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The touched visitors' statements under a page, name or host condition, keys first (<see cref="RollupTables.TouchedHitsFirst"/>,
/// PostgreSQL): a year has ~50,000 touched sessions at 10 M hits, one heap page each, of which ~10,000 contain a given
/// page. Joining the touched partial index (keys only: an index-only scan) to the kept session-hit rows (the covering path
/// index) first, and reading the session rows of the matches by primary key after, reads a fifth of those pages
/// (docs/performance.md, "PostgreSQL `12mo` at 10 M hits: the visibility map, JIT and the touched visitors").
/// </content>
internal sealed partial class SessionRollups
{
    /// <summary>
    /// The <c>FROM … WHERE …</c> part of a touched visitors' statement driven by the kept session-hit rows <c>h</c> of the
    /// touched sessions <c>s</c> (and their continuation <paramref name="linked"/>), or null when the filter has a visit
    /// condition too: with <c>source is Google</c> the touched sessions of that source are fewer than the page's
    /// session-hit rows of the year (14,700 against 637,000 index entries for <c>/pricing</c> at 10 M hits), and reading
    /// them first, as before, was faster (585 against 860–1,017 ms p95 for the combined filter's top stats, load 6–10).
    /// The sub-select applies the filter (the outer <c>WHERE</c> applies it again, so the rows are the same), and
    /// <c>OFFSET 0</c> keeps PostgreSQL from folding it into the outer join, whose order it then gets wrong (it read every
    /// touched session first).
    /// </summary>
    private string? TouchedHitsFirst(HitFilter? filter, string linked, DynamicParameters parameters, ref int counter)
    {
        if (filter is null || filter.Conditions().Any(c => c.Dimension.IsVisit))
        {
            return null;
        }

        return " FROM (SELECT h.site_id, h.day, h.vid, h.start_ms, h.path, h.event_name, h.hostname, h.pv, h.n" +
               $" FROM {_sessions} t JOIN {_hits} h ON h.site_id = t.site_id AND h.day = t.day AND h.vid = t.vid AND h.start_ms = t.start_ms" +
               $" WHERE t.site_id = @site_id AND t.day >= @first AND t.day < @end AND t.touched = 1 AND {FilterSql(filter, parameters, ref counter)} OFFSET 0) h" +
               $" JOIN {_sessions} s ON s.site_id = h.site_id AND s.day = h.day AND s.vid = h.vid AND s.start_ms = h.start_ms {linked} WHERE 1 = 1";
    }
}
