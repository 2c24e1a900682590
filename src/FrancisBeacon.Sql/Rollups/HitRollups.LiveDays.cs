// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Live days (SessionRollups.LiveDays.cs): the rule that decides which day keeps no segment and page-segment rows. A day
/// is live while no later day of the site has hits: on a live site that is today, the only day the incremental upkeep
/// applies hits to (a day whose next day has rows is rebuilt whole). Once a hit lands on a later day (the site's first
/// hit after midnight), the worker's next passes derive the day's rows from its session rows. A late hit for such a day
/// afterwards rebuilds it whole, with its segment rows, as before.
/// </content>
public sealed partial class HitRollups
{
    /// <summary>Whether a whole rebuild of the site's latest day leaves its segment and page-segment rows out (default; tests turn it off).</summary>
    internal bool LiveSegments { get; set; } = true;

    /// <summary>Live days whose segment and page-segment rows this instance derived from their session rows (tests read it).</summary>
    internal int LiveDaysSettled => _sessions.LiveDaysSettled;

    /// <summary>The site-local day of the site's latest hit, or null when it has none.</summary>
    private async ValueTask<long?> LatestHitDayAsync(DbConnection connection, string siteId, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        // Through the (site_id, ts) index, backwards: one row.
        var latest = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT {_t.Dialect.EpochMilliseconds("ts")} FROM {_t.Hits} WHERE site_id = @site_id AND ts >= @lo AND ts < @hi ORDER BY ts DESC LIMIT 1",
            new { site_id = siteId, lo = _t.Dialect.TimestampValue(Earliest), hi = _t.Dialect.TimestampValue(Latest) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return latest is { } ms ? DayOf(ms, zone) : null;
    }
}
