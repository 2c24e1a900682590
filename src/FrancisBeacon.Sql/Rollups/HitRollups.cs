// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// Per-day rollups of a SQL store: exact additive counts per site-local day and dimension value, maintained
/// incrementally from a dirty list that a trigger on the hits table fills, and a planner that answers the queries it
/// can from them (plus the not-yet-rolled-up days, computed on the fly) and leaves every other query to the raw path.
/// </summary>
/// <remarks>
/// Exactness rests on the beacon's visitor ids: the salt rotates at the site's local midnight, so an id never appears
/// on two of the site's days and distinct visitors over whole days are the sum of per-day distinct counts. Sessions
/// are cut per day; a session continued across midnight (linked by <see cref="Hit.PreviousVisitorId"/>) is stored as a
/// link row that corrects the two days' counts when both are in the range.
/// </remarks>
public sealed partial class HitRollups
{
    private const long TimeoutMs = 30 * 60 * 1000;
    private const int MaxOnTheFlyDays = 4;

    // Rollups cover hits from 1971 to 8999; ranges reaching outside (or hits stored as infinity) take the raw path.
    private static readonly DateTimeOffset Earliest = new(1971, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(8999, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly RollupTables _t;
    private readonly string _sites;
    private readonly string _dirty;
    private readonly string _events;
    private readonly string _visits;
    private readonly string _links;
    private readonly string _readDay;
    private readonly string _upkeep;
    private readonly SessionRollups _sessions;

    /// <summary>Tests: called before each site's refresh in a pass, with the site id.</summary>
    internal Func<string, ValueTask>? OnRefreshSite { get; set; }

    /// <summary>Creates the rollups of a store.</summary>
    public HitRollups(RollupTables tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        _t = tables;
        _sites = tables.Prefix + "rollup_sites";
        _dirty = tables.Prefix + "rollup_dirty";
        _events = tables.Prefix + "rollup_events";
        _visits = tables.Prefix + "rollup_visits";
        _links = tables.Prefix + "rollup_links";
        _sessions = new SessionRollups(tables);
        _upkeep = tables.Prefix + "rollup_upkeep";
        var attributes = string.Concat(RollupDimensions.Attributes.Select(d => $", COALESCE({d.Column}, @not_set)"));
        _readDay = $"SELECT {tables.Dialect.EpochMilliseconds("ts")}, visitor_id, prev_visitor_id, path, event_name, hostname{attributes}, id" +
                   $" FROM {tables.Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts";
    }

    /// <summary>Whether queries may use the rollups. Default: true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// How long new hits may wait for the rollup worker before answers include them: a day with hits not rolled up yet is
    /// still answered from its stored rows while its oldest such change is younger than this (on the database's clock),
    /// and cut from the raw hits at query time once it is older. <see cref="TimeSpan.Zero"/>: every answer includes every
    /// stored hit at once (each query then cuts such days itself); so does a negative value. Purged days never wait.
    /// Default: <see cref="TimeSpan.Zero"/> (the SQLite and PostgreSQL stores pass their options' <c>MaxRollupLag</c>).
    /// </summary>
    public TimeSpan MaxLag { get; init; }

    /// <summary>
    /// Brings the rollups of the given sites up to date: a site seen for the first time (or whose time zone changed) is
    /// built from all its hits; afterwards only the days with new or purged hits are rebuilt. Returns the number of
    /// days rebuilt, or 0 when another instance holds the maintainer lock.
    /// </summary>
    public async ValueTask<int> RefreshAsync(IReadOnlyDictionary<string, TimeZoneInfo> siteTimeZones, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(siteTimeZones);
        if (!Enabled)
        {
            return 0;
        }

        await using var lockConnection = await _t.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (_t.TryLock is not null && !await _t.TryLock(lockConnection, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        try
        {
            var rebuilt = 0;
            List<Exception>? failures = null;
            List<string>? failedSites = null;
            foreach (var (siteId, zone) in siteTimeZones)
            {
                try
                {
                    if (OnRefreshSite is { } hook)
                    {
                        await hook(siteId).ConfigureAwait(false);
                    }

                    rebuilt += await RefreshSiteAsync(siteId, zone, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not DbException { IsTransient: true })
                {
                    // One site's failure must not leave every site after it unrefreshed, pass after pass: the pass goes on
                    // and reports the failed sites at its end. An outage (a transient error) ends the pass at once, as
                    // the next site would only wait for the same unavailable store.
                    (failures ??= []).Add(ex);
                    (failedSites ??= []).Add(siteId);
                }
            }

            if (failures is not null)
            {
                if (failures.Count == 1 && siteTimeZones.Count == 1)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0]);
                }

                throw new AggregateException(
                    $"The rollups of {failedSites!.Count} of {siteTimeZones.Count} sites could not be refreshed ({string.Join(", ", failedSites.Select(s => "'" + s + "'"))}); the other sites were.",
                    failures);
            }

            return rebuilt;
        }
        finally
        {
            if (_t.Unlock is not null)
            {
                await _t.Unlock(lockConnection, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<int> RefreshSiteAsync(string siteId, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        await using var connection = await _t.OpenAsync(cancellationToken).ConfigureAwait(false);
        var state = await connection.QueryFirstOrDefaultAsync<(string TimeZone, long Ready)?>(new CommandDefinition(
            $"SELECT time_zone, ready FROM {_sites} WHERE site_id = @site_id", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        // With each mark the database's time now: whatever is still dirty after this pass was changed after it.
        var dirty = (await connection.QueryAsync<(long Hour, long Ver, long Since, long Now, long Order)>(new CommandDefinition(
            $"SELECT hour, ver, since, {_t.Dialect.NowMilliseconds}, {_t.DirtyInsertionOrder ?? "0"} FROM {_dirty} WHERE site_id = @site_id", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var passStart = dirty.Count == 0 ? 0 : dirty.Min(d => d.Now);
        // The hits this pass reads: those up to the insertion order's top now, read after the dirty list, so every hit
        // whose dirty mark this pass clears is included (HitRollups.Upkeep.cs).
        // The purge epoch first: a purge after it makes this pass write no upkeep marks.
        var epoch = await EpochAsync(connection, null, cancellationToken).ConfigureAwait(false);
        var watermark = await WatermarkAsync(connection, cancellationToken).ConfigureAwait(false);
        SortedSet<long> days;
        var dirtyDays = new HashSet<long>();
        var horizon = await HorizonAsync(connection, siteId, cancellationToken).ConfigureAwait(false);
        var initial = state is not { Ready: 1 } || !string.Equals(state.Value.TimeZone, zone.Id, StringComparison.Ordinal);
        if (initial)
        {
            await using (var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false))
            {
                foreach (var table in new[] { _events, _visits, _links, _sites }.Concat(_sessions.TableNames).Concat(UpkeepTables).Concat(SplitTables))
                {
                    await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                await DeleteSiteMonthsAsync(connection, transaction, siteId, cancellationToken).ConfigureAwait(false);
                await _sessions.DeleteSiteSegmentBlocksAsync(connection, transaction, siteId, cancellationToken).ConfigureAwait(false);
                await DeleteHorizonAsync(connection, transaction, siteId, cancellationToken).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {_sites} (site_id, time_zone, ready) VALUES (@site_id, @zone, 0)", new { site_id = siteId, zone = zone.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            var span = await connection.QueryFirstAsync<(long? Min, long? Max)>(new CommandDefinition(
                $"SELECT MIN({_t.Dialect.EpochMilliseconds("ts")}), MAX({_t.Dialect.EpochMilliseconds("ts")}) FROM {_t.Hits} WHERE site_id = @site_id AND ts >= @lo AND ts < @hi",
                new { site_id = siteId, lo = _t.Dialect.TimestampValue(Earliest), hi = _t.Dialect.TimestampValue(Latest) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            days = [];
            if (span.Min is { } min && span.Max is { } max)
            {
                for (var d = DayOf(min, zone); d <= DayOf(max, zone); d++)
                {
                    days.Add(d);
                }
            }
        }
        else
        {
            days = [];
            foreach (var (hour, _, _, _, _) in dirty)
            {
                if (hour * 3_600_000 < Earliest.ToUnixTimeMilliseconds() || hour * 3_600_000 >= Latest.ToUnixTimeMilliseconds())
                {
                    // Outside what rollups cover (queries reaching there read raw hits), as in the first build: settled
                    // below without a day. A day of year 1 or 9999 has no month blocks to build (DateOnly cannot hold them).
                    continue;
                }

                foreach (var d in DaysOfHour(hour, zone))
                {
                    if (d < horizon)
                    {
                        continue; // only rollups are left of that day: never rebuilt from what raw hits remain
                    }

                    days.Add(d);
                    dirtyDays.Add(d);
                    days.Add(d + 1); // the next day's links point into this one
                }
            }
        }

        // Live days (no segment or page-segment rows, HitRollups.LiveDays.cs): the site's latest day with hits, read once.
        long? latestHitDay = null;
        var latestRead = false;
        RollupDay? previous = null;
        var whole = new HashSet<long>();
        var kept = new HashSet<long>();
        var skipped = new List<long>();
        foreach (var day in days)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (SkipNextDay(day, initial, dirtyDays, kept))
            {
                skipped.Add(day);
                previous = null;
                continue;
            }

            // A day whose day before was rebuilt whole is rebuilt whole too (its links point into that day); otherwise
            // the hits added since its last pass are applied to its stored rows when that is exact (HitRollups.Upkeep.cs).
            if (watermark is { } top && Incremental && !initial && !whole.Contains(day - 1) &&
                await TryUpdateDayAsync(connection, siteId, day, zone, top, epoch, cancellationToken).ConfigureAwait(false))
            {
                kept.Add(day);
                previous = null;
                continue;
            }

            whole.Add(day);
            var rawDay = await ReadDayAsync(connection, siteId, day, zone, null, watermark, cancellationToken).ConfigureAwait(false);
            if (previous is null || previous.Day != day - 1)
            {
                // Only what the day's links need of the day before: the sessions of the visitors its hits link to.
                previous = await LinkedDayBeforeAsync(connection, siteId, day, zone, rawDay, watermark, cancellationToken).ConfigureAwait(false);
            }

            var computed = RollupDay.Compute(day, rawDay, previous, TimeoutMs);
            if (!latestRead)
            {
                latestHitDay = await LatestHitDayAsync(connection, siteId, zone, cancellationToken).ConfigureAwait(false);
                latestRead = true;
            }

            await WriteDayAsync(connection, siteId, computed, previous, zone, watermark, epoch, LiveSegments && day >= latestHitDay && computed.Sessions.Count > 0, cancellationToken).ConfigureAwait(false);
            previous = computed;
        }

        days.ExceptWith(skipped);
        await RefreshMonthsAsync(connection, siteId, days, cancellationToken).ConfigureAwait(false);
        await RefreshBlocksAsync(connection, siteId, days, cancellationToken).ConfigureAwait(false);
        // Live days that a later day's hits ended: their segment and page-segment rows, before the blocks that hold them.
        var segmentDays = new SortedSet<long>(days);
        if ((await _sessions.LiveDaysAsync(connection, null, siteId, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            if (!latestRead)
            {
                latestHitDay = await LatestHitDayAsync(connection, siteId, zone, cancellationToken).ConfigureAwait(false);
            }

            if (latestHitDay is { } latestDay)
            {
                segmentDays.UnionWith(await _sessions.SettleLiveDaysAsync(connection, siteId, latestDay, cancellationToken).ConfigureAwait(false));
            }
        }

        await _sessions.RefreshSegmentBlocksAsync(connection, siteId, segmentDays, cancellationToken).ConfigureAwait(false);
        await _sessions.RefreshPageBlocksAsync(connection, siteId, segmentDays, cancellationToken).ConfigureAwait(false);
        await using (var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false))
        {
            foreach (var (hour, ver, since, _, order) in dirty)
            {
                // Only the version read is done: a hit that arrived meanwhile bumped it, so its hour stays dirty, marked
                // with this pass's start (its change came later), unless a purge marked it meanwhile (overdue).
                await connection.ExecuteAsync(new CommandDefinition(
                    _t.SettleDirtySql?.Invoke(_t.Prefix) ??
                    $"DELETE FROM {_dirty} WHERE site_id = @site_id AND hour = @hour AND ver = @ver; " +
                    $"UPDATE {_dirty} SET since = @since WHERE site_id = @site_id AND hour = @hour AND (since > 0 OR since = @read_since) AND since < @since",
                    new { site_id = siteId, hour, ver, read_since = since, since = passStart, read_order = order, top = watermark ?? 0 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            if (initial)
            {
                // DELETE and INSERT rather than UPDATE: the app's role needs only SELECT, INSERT and DELETE.
                await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {_sites} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {_sites} (site_id, time_zone, ready) VALUES (@site_id, @zone, 1)", new { site_id = siteId, zone = zone.Id }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return days.Count;
    }

    /// <summary>
    /// After a purge: drops the rollup rows of the purged days and marks the days at the range's edges (and the day
    /// after it, whose links pointed into it) for rebuilding. Call it after the hits were deleted. A raw-hit retention
    /// purge (everything before a time, <see cref="HitRange.IncludeDerivedData"/> not set) keeps the rollups instead and
    /// moves the sites' raw-hit horizon: the days before it are answered from rollups only and never rebuilt.
    /// </summary>
    public async ValueTask OnPurgedAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (_t.InsertionOrder is not null)
        {
            // Deleted hits may free the top insertion order (a store should also do this in its delete's transaction).
            await using var marks = await _t.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ForgetUpkeepMarksAsync(marks, null, cancellationToken).ConfigureAwait(false);
        }

        if (IsRawRetention(range))
        {
            await OnRawRetentionAsync(range, cancellationToken).ConfigureAwait(false);
            return;
        }

        await using var connection = await _t.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sites = (await connection.QueryAsync<(string SiteId, string TimeZone)>(new CommandDefinition(
            $"SELECT site_id, time_zone FROM {_sites}", cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        if (SplitsDays)
        {
            // SQLite: the purged days' rows go in chunks that the store may commit separately, letting its hit writer in
            // between (a busy site's days hold millions of rows). The store marked the purged hits' hours overdue in the
            // transactions that deleted them, so no query reads a half-deleted day's rows, and a purge that stops here
            // leaves those days to be rebuilt by the next pass (docs/storage.md, "Retention, erasure and export").
            _t.Splittable.AddOrUpdate(transaction, ct => SplitPurgeAsync(connection, transaction, ct));
        }

        foreach (var (siteId, zoneId) in sites)
        {
            if ((range.SiteId is not null && !string.Equals(range.SiteId, siteId, StringComparison.Ordinal)) || !SiteTimeZones.TryFind(zoneId, out var zone))
            {
                continue;
            }

            var first = range.From == DateTimeOffset.MinValue ? long.MinValue / 4 : DayOf(range.From.ToUnixTimeMilliseconds(), zone);
            var last = range.To == DateTimeOffset.MaxValue ? long.MaxValue / 4 : DayOf(range.To.ToUnixTimeMilliseconds() - 1, zone);
            foreach (var (table, dims) in new[] { (_events, EventDims), (_visits, VisitDims), (_links, string.Empty) }
                .Concat(_sessions.TableNames.Concat(UpkeepTables).Concat(SplitTables).Select(t => (t, string.Empty))))
            {
                if (SplitsDays)
                {
                    await DeleteDaysInChunksAsync(connection, transaction, table, dims, siteId, first, last, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE site_id = @site_id AND day >= @first AND day <= @last", new { site_id = siteId, first, last }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await DeletePurgedMonthsAsync(connection, transaction, siteId, first, last, cancellationToken).ConfigureAwait(false);
            await _sessions.DeletePurgedSegmentBlocksAsync(connection, transaction, siteId, first, last, cancellationToken).ConfigureAwait(false);

            var marks = new List<long>();
            if (range.From != DateTimeOffset.MinValue)
            {
                marks.Add(first);
            }

            if (range.To != DateTimeOffset.MaxValue)
            {
                marks.Add(last);
                marks.Add(last + 1);
            }

            foreach (var day in marks)
            {
                var hour = (StartOfDayMs(day, zone) + 3_600_000) / 3_600_000;
                await connection.ExecuteAsync(new CommandDefinition(
                    _t.MarkDirtySql?.Invoke(_t.Prefix) ??
                    $"INSERT INTO {_dirty} AS d (site_id, hour, ver, since) VALUES (@site_id, @hour, 1, -1) ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1, since = min(d.since, 0) - 1",
                    new { site_id = siteId, hour }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }

        _t.Splittable.Remove(transaction);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    // A split point of a purge's rollup deletes (SQLite): the store commits and begins again when a hit write waits.
    private async ValueTask SplitPurgeAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (await _t.SplitPoint!(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            PurgeSplits++;
        }
    }

    /// <summary>How many times a purge's rollup deletes committed part of their work to let other writers in (tests read it).</summary>
    internal int PurgeSplits { get; private set; }

    /// <summary>
    /// Answers <paramref name="query"/> from the rollups when it can do so exactly, or returns <see langword="null"/>
    /// for the raw path: see docs/performance.md for which queries qualify.
    /// </summary>
    public async ValueTask<AggregateResult?> TryAnswerAsync(DbConnection connection, HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(query);
        if (!Enabled || query.From < Earliest || query.To > Latest)
        {
            return null;
        }

        if (RollupPlan.Create(query) is not { } plan)
        {
            // Sessions with filters: the session rollups (SessionRollups.cs), when they can. Session rows are per-visit
            // data and go with the raw hits at a raw-hit retention purge, so a range reaching before the site's raw-hit
            // horizon is not theirs to answer.
            if (SessionRollupPlan.Create(query) is not { } sessionPlan)
            {
                return null;
            }

            var sessionHorizon = await HorizonAsync(connection, query.SiteId, cancellationToken).ConfigureAwait(false);
            return DayOf(query.From.ToUnixTimeMilliseconds(), query.TimeZone) < sessionHorizon
                ? null
                : await _sessions.TryAnswerAsync(connection, query, sessionPlan, _sites, OverdueHoursAsync,
                    (day, ct) => ReadDayAsync(connection, query.SiteId, day, query.TimeZone, ct), cancellationToken).ConfigureAwait(false);
        }

        var state = await connection.QueryFirstOrDefaultAsync<(string TimeZone, long Ready)?>(new CommandDefinition(
            $"SELECT time_zone, ready FROM {_sites} WHERE site_id = @site_id", new { site_id = query.SiteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (state is not { Ready: 1 } || !string.Equals(state.Value.TimeZone, query.TimeZone.Id, StringComparison.Ordinal))
        {
            return null;
        }

        var zone = query.TimeZone;
        var firstDay = DayOf(query.From.ToUnixTimeMilliseconds(), zone);
        var endDay = DayOf(query.To.ToUnixTimeMilliseconds(), zone);
        if (StartOfDayMs(firstDay, zone) != query.From.ToUnixTimeMilliseconds() || StartOfDayMs(endDay, zone) != query.To.ToUnixTimeMilliseconds() || endDay <= firstDay)
        {
            return null;
        }

        // Days with hits not rolled up yet (or being rebuilt) for MaxLag or longer, and the day after each, whose links point into it; days
        // before the raw-hit horizon only have rollups, which stay the answer. The day before a changed day keeps its
        // stored rows: only the links between the two depend on the change, and those are computed below from the
        // sessions of the visitors the changed day's hits link to (as the rollup worker's pass does). On a live site
        // today always has such hits, so this keeps yesterday out of the on-the-fly work.
        var horizon = await HorizonAsync(connection, query.SiteId, cancellationToken).ConfigureAwait(false);
        var hours = await OverdueHoursAsync(connection, query.SiteId, cancellationToken).ConfigureAwait(false);
        var unclean = new SortedSet<long>();
        foreach (var hour in hours)
        {
            foreach (var d in DaysOfHour(hour, zone))
            {
                for (var n = d; n <= d + 1; n++)
                {
                    if (n >= firstDay && n < endDay && n >= horizon)
                    {
                        unclean.Add(n);
                    }
                }
            }
        }

        if (unclean.Count > MaxOnTheFlyDays)
        {
            return null;
        }

        var acc = new RollupAccumulator(plan);
        var wholeMonths = await UsableMonthsAsync(connection, query.SiteId, plan, firstDay, endDay, unclean, cancellationToken).ConfigureAwait(false);
        var (months, blocks, pieces) = await UsableBlocksAsync(connection, query.SiteId, plan, firstDay, endDay, unclean, wholeMonths, cancellationToken).ConfigureAwait(false);

        // The days computed from raw hits and the link corrections first: the stored rows are added after them, in full
        // or (a list ordered by an additive metric) only the groups that can reach the top (HitRollups.Top.cs).
        RollupDay? previous = null;
        var linksComputed = new HashSet<long>();
        foreach (var day in unclean)
        {
            var hits = await ReadDayAsync(connection, query.SiteId, day, zone, cancellationToken).ConfigureAwait(false);
            var before = previous is not null && previous.Day == day - 1 ? previous : null;
            if (before is null && day - 1 >= firstDay && day - 1 >= horizon)
            {
                // The day before is clean and read from its stored rows; for the links only the sessions of the visitors
                // this day's hits link to are cut (never added to the answer themselves).
                before = await LinkedDayBeforeAsync(connection, query.SiteId, day, zone, hits, cancellationToken).ConfigureAwait(false);
            }

            if (before is not null)
            {
                linksComputed.Add(day);
            }

            var computed = RollupDay.Compute(day, hits, before, TimeoutMs);
            acc.AddDay(computed);
            foreach (var link in computed.Links)
            {
                if (!acc.AddLink(day, link, firstDay))
                {
                    return null;
                }
            }

            previous = computed;
        }

        if (plan.NeedsLinks)
        {
            var stored = await ReadLinksAsync(connection, query.SiteId, firstDay, endDay, pieces, cancellationToken).ConfigureAwait(false);
            foreach (var (day, data) in stored)
            {
                if (linksComputed.Contains(day))
                {
                    continue; // computed above from the raw hits
                }

                var link = JsonSerializer.Deserialize(data, RollupJsonContext.Default.RollupLink)!;
                if (!acc.AddLink(day, link, firstDay))
                {
                    return null;
                }
            }
        }

        var segments = DaySegments(firstDay, endDay, pieces);
        if (!await TryReadTopAsync(connection, query, plan, months, blocks, segments, unclean, acc, cancellationToken).ConfigureAwait(false))
        {
            await ReadMonthsAsync(connection, query.SiteId, plan, months, acc, cancellationToken).ConfigureAwait(false);
            await ReadBlocksAsync(connection, query.SiteId, plan, blocks, acc, cancellationToken).ConfigureAwait(false);
            foreach (var (segmentFirst, segmentEnd) in segments)
            {
                await ReadStoredAsync(connection, query.SiteId, plan, segmentFirst, segmentEnd, unclean, acc, cancellationToken).ConfigureAwait(false);
            }
        }

        return acc.Result(query);
    }

    /// <summary>
    /// The hours of a site whose changes are not rolled up yet and have waited <see cref="MaxLag"/> or longer, and an hour of
    /// each day being rewritten: a query cuts their days from the raw hits; the other dirty hours' days are still answered
    /// from their stored rows.
    /// </summary>
    private async ValueTask<IEnumerable<long>> OverdueHoursAsync(DbConnection connection, string siteId, CancellationToken cancellationToken) =>
        await connection.QueryAsync<long>(new CommandDefinition(
            (MaxLag <= TimeSpan.Zero
                ? $"SELECT hour FROM {_dirty} WHERE site_id = @site_id"
                : $"SELECT hour FROM {_dirty} WHERE site_id = @site_id AND since <= {_t.Dialect.NowMilliseconds} - @lag_ms") +
            // Days being rewritten in several transactions (HitRollups.Split.cs) are cut from the raw hits too.
            (SplitsDays ? $" UNION ALL SELECT hour FROM {Rebuilding} WHERE site_id = @site_id" : string.Empty),
            new { site_id = siteId, lag_ms = (long)MaxLag.TotalMilliseconds }, cancellationToken: cancellationToken)).ConfigureAwait(false);

    private async ValueTask ReadStoredAsync(DbConnection connection, string siteId, RollupPlan plan, long firstDay, long endDay, SortedSet<long> skip, RollupAccumulator acc, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("site_id", siteId);
        parameters.Add("first", firstDay);
        parameters.Add("end", endDay);
        var skipSql = new System.Text.StringBuilder();
        var i = 0;
        foreach (var day in skip)
        {
            parameters.Add($"skip{i}", day);
            skipSql.Append(CultureInfo.InvariantCulture, $" AND day <> @skip{i}");
            i++;
        }

        var key = plan.ByDay ? "day" : plan.ByValue ? "value" : "0";
        var (group, e, v) = Grouping(plan, "day");
        var where = $" WHERE site_id = @site_id AND day >= @first AND day < @end{skipSql}";
        if (plan.EventDim is { } eventDim)
        {
            parameters.Add("edim", eventDim);
            var valueFilter = EventValueSql(plan, parameters);
            var sql = $"SELECT {key}, {e} FROM {_events}{where} AND dim = @edim{valueFilter}{group}";
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsDBNull(1))
                {
                    continue;
                }

                acc.AddEvents(KeyOf(reader, plan), new EventCounts { Visitors = Long(reader, 1), Pageviews = Long(reader, 2), Events = Long(reader, 3) });
            }
        }

        if (plan.VisitDim is { } visitDim)
        {
            parameters.Add("vdim", visitDim);
            var sql = $"SELECT {key}, {v} FROM {_visits}{where} AND dim = @vdim{group}";
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.IsDBNull(1))
                {
                    continue;
                }

                acc.AddVisits(KeyOf(reader, plan), new VisitCounts
                {
                    Visitors = Long(reader, 1), Visits = Long(reader, 2), Bounces = Long(reader, 3),
                    DurationMs = Long(reader, 4), Pageviews = Long(reader, 5), Events = Long(reader, 6),
                });
            }
        }
    }

    // The rows of the event values a plan keeps: its single value (totals, time series), or its filter on the grouped
    // dimension pushed down to the rows, so values the filter drops are never read (the accumulator still applies it).
    private string EventValueSql(RollupPlan plan, DynamicParameters parameters)
    {
        if (plan.EventValue is { } value)
        {
            parameters.Add("evalue", value);
            return " AND value = @evalue";
        }

        if (plan.ValueFilter is not { } filter)
        {
            return string.Empty;
        }

        var counter = 0;
        return " AND " + ValueFilterSql(filter, parameters, ref counter);
    }

    private string ValueFilterSql(HitFilter filter, DynamicParameters parameters, ref int counter)
    {
        switch (filter)
        {
            case HitFilterCondition c:
                var parts = new List<string>();
                foreach (var v in c.Values)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"vf{counter++}");
                    parameters.Add(name, v);
                    parts.Add(c.Operator is HitFilterOperator.Is or HitFilterOperator.IsNot ? $"value = @{name}" : _t.Dialect.Contains("value", "@" + name));
                }

                var any = parts.Count == 0 ? "(1 = 0)" : "(" + string.Join(" OR ", parts) + ")";
                return c.Operator is HitFilterOperator.IsNot or HitFilterOperator.ContainsNot ? $"(NOT {any})" : any;
            case HitFilterAnd and:
                var all = new List<string>();
                foreach (var child in and.Filters)
                {
                    all.Add(ValueFilterSql(child, parameters, ref counter));
                }

                return all.Count == 0 ? "(1 = 1)" : "(" + string.Join(" AND ", all) + ")";
            case HitFilterOr or:
                var some = new List<string>();
                foreach (var child in or.Filters)
                {
                    some.Add(ValueFilterSql(child, parameters, ref counter));
                }

                return some.Count == 0 ? "(1 = 0)" : "(" + string.Join(" OR ", some) + ")";
            case HitFilterNot not:
                return $"(NOT {ValueFilterSql(not.Filter, parameters, ref counter)})";
            default:
                return "(1 = 1)"; // not expected (the plan only takes these); the accumulator's check stays exact
        }
    }

    private static string KeyOf(DbDataReader reader, RollupPlan plan) =>
        plan.ByDay ? Long(reader, 0).ToString(CultureInfo.InvariantCulture) : plan.ByValue ? reader.GetString(0) : string.Empty;

    internal static long DayOf(long ms, TimeZoneInfo zone)
    {
        var offset = (long)zone.GetUtcOffset(DateTimeOffset.FromUnixTimeMilliseconds(ms)).TotalMilliseconds;
        return (long)Math.Floor((ms + offset) / (double)TimeZoneSegments.MillisecondsPerDay);
    }

    internal static long StartOfDayMs(long day, TimeZoneInfo zone) =>
        TimeZoneSegments.StartOfDay(TimeZoneSegments.DayNumberToDate(day), zone).ToUnixTimeMilliseconds();

    private static IEnumerable<long> DaysOfHour(long hour, TimeZoneInfo zone)
    {
        var first = DayOf(hour * 3_600_000, zone);
        var last = DayOf((hour * 3_600_000) + 3_599_999, zone);
        for (var d = first; d <= last; d++)
        {
            yield return d;
        }
    }
}
