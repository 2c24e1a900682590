// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Diagnostics;
using Dapper;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Incremental upkeep (docs/storage.md, "Incremental upkeep"): a store that names an insertion order for its hits
/// (<see cref="RollupTables.InsertionOrder"/>; SQLite's rowid) keeps per site-local day the highest insertion order
/// its stored rows contain (<c>rollup_upkeep</c>). A pass then reads only the day's hits after that mark, takes the
/// visitors they belong to, subtracts those visitors' stored contribution (their session rows and folded session hits
/// say everything they counted in the day rows and the segment rows), adds their new one, and writes their session
/// rows that changed — all in one write transaction with the new mark, so two passes never apply the same hits twice.
/// </content>
/// <remarks>
/// The day rows are per-visitor additive (a visitor id lives one site-local day), which is what makes this exact. The
/// pass falls back to rebuilding the day whole when the shortcut could differ from a rebuild: no mark (first build, a
/// purge, a time-zone change), new hits cheaper to rebuild with the day than to apply (CheaperThanWhole), a changed visitor with a
/// session linked across midnight (or a new session that might be), hits of a visitor that do not sort after all of that
/// visitor's stored hits, rows of the next day already stored (its links point into this day), or a stored row that does
/// not hold what the delta was taken against.
/// </remarks>
public sealed partial class HitRollups
{
    /// <summary>
    /// Whether a pass applies only the new hits of a day that has an upkeep mark (with <see cref="RollupTables.InsertionOrder"/>
    /// set), rather than rebuilding every changed day whole; the marks are kept either way. Default: true.
    /// </summary>
    public bool Incremental { get; init; } = true;

    private const long EpochDay = long.MinValue;

    private IEnumerable<string> UpkeepTables => _t.InsertionOrder is null ? [] : [_upkeep];

    /// <summary>How many days the worker brought up to date incrementally (tests and benchmarks read it).</summary>
    internal int IncrementalDays { get; private set; }

    /// <summary>
    /// Forgets every day's upkeep mark inside <paramref name="transaction"/>, so that the next pass rebuilds each day it
    /// touches whole. A store calls it in the transaction that deletes hits: a deleted top insertion order can be given
    /// to a new hit, which a mark would then wrongly count as already applied.
    /// </summary>
    public async ValueTask ForgetUpkeepMarksAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_t.InsertionOrder is null)
        {
            return;
        }

        // And a new epoch (the row of site '' and the lowest day): a pass that read the old one writes no mark. Two purges
        // at once (PostgreSQL, erasures of two sites) each read the same epoch and inserted it plus one, and the second
        // failed on the primary key once the first committed; now the second sees its insert skipped, reads the epoch the
        // first committed and goes past it. No UPDATE: the app's role needs only SELECT, INSERT and DELETE.
        var epoch = await EpochAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {_upkeep}", transaction: transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        while (await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {_upkeep} (site_id, day, seq) VALUES ('', @day, @seq) ON CONFLICT (site_id, day) DO NOTHING",
            new { day = EpochDay, seq = epoch + 1 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            epoch = await EpochAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {_upkeep} WHERE site_id = '' AND day = @day", new { day = EpochDay }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>The purge epoch: a pass reads it before its top insertion order and writes marks only while it is unchanged.</summary>
    private async ValueTask<long> EpochAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        _t.InsertionOrder is null ? 0 : await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT seq FROM {_upkeep} WHERE site_id = '' AND day = @day", new { day = EpochDay }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;

    private async ValueTask<long?> WatermarkAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_t.InsertionOrder is not { } order)
        {
            return null;
        }

        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(_t.InsertionTopSql ?? $"SELECT MAX({order}) FROM {_t.Hits}", cancellationToken: cancellationToken)).ConfigureAwait(false) ?? 0;
    }

    private async ValueTask<long?> StoredMarkAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, CancellationToken cancellationToken) =>
        _t.InsertionOrder is null ? null : await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT seq FROM {_upkeep} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

    private async ValueTask SetMarkAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, long seq, CancellationToken cancellationToken)
    {
        if (_t.InsertionOrder is null)
        {
            return;
        }

        var key = new { site_id = siteId, day, seq };
        await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {_upkeep} WHERE site_id = @site_id AND day = @day", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition($"INSERT INTO {_upkeep} (site_id, day, seq) VALUES (@site_id, @day, @seq)", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// The most new hits one write transaction of an incremental pass applies: 10,000, or with
    /// <see cref="RollupTables.SplitPoint"/> (SQLite, one writer: its hit writer waits for each step) as many as
    /// <see cref="StepBudgetMicroseconds"/> of CPU allow at <see cref="IncrementalCostPerHit"/> each (about 10,000 at
    /// ~44 µs per new hit). A day with more takes several transactions, each an exact step of its own (its mark is the
    /// insertion order of its last hit). Fewer, larger steps cost less per hit: each step re-reads and rewrites the pages
    /// of the day's session rows that its visitors share with the step before (docs/performance.md, "Upkeep, round 10").
    /// </summary>
    internal int NewHitsPerTransaction
    {
        get => _newHitsPerTransaction ?? (_t.SplitPoint is null ? 10_000 : (int)Math.Clamp(StepBudgetMicroseconds / Math.Max(1, IncrementalCostPerHit), 1_000, 10_000));
        set => _newHitsPerTransaction = value;
    }

    /// <summary>
    /// The CPU one incremental step may take on a store with <see cref="RollupTables.SplitPoint"/> (SQLite: the time the
    /// hit writer may wait for it), in microseconds: 450,000, what the former cap of 5,000 new hits took at ~90 µs each.
    /// </summary>
    internal long StepBudgetMicroseconds { get; set; } = 450_000;

    /// <summary>
    /// The time one incremental step may hold the write lock on a store with <see cref="RollupTables.SplitPoint"/>
    /// (SQLite), by the clock: <see cref="StepBudgetMicroseconds"/> counts CPU as if the pass had a core to itself, and on
    /// a machine whose cores the requests and the hit writer keep busy a step of 10,000 new hits held the lock for 1–2.4 s
    /// while the beacon's queue filled behind it (docs/performance.md, "Round 12"). After each step the next one is sized
    /// from the time it took, between <see cref="MinNewHitsPerTransaction"/> and <see cref="NewHitsPerTransaction"/>.
    /// </summary>
    internal TimeSpan StepWallBudget { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The fewest new hits a step takes when <see cref="StepWallBudget"/> shrinks it (smaller steps cost more CPU per hit).</summary>
    internal int MinNewHitsPerTransaction { get; set; } = 1_000;

    private int? _newHitsPerTransaction;

    // The step size the last step's time by the clock allows (StepWallBudget); null before the first step.
    private int? _wallStepHits;

    // The new hits the next incremental step takes.
    private int StepHits => _newHitsPerTransaction is null && _wallStepHits is { } fit ? Math.Min(fit, NewHitsPerTransaction) : NewHitsPerTransaction;

    // Sizes the next step from how long this one held the write lock (stores with SplitPoint only; a size set by tests stays).
    private void TimeStep(int hits, long began)
    {
        if (_t.SplitPoint is null || _newHitsPerTransaction is not null || hits == 0)
        {
            return;
        }

        var took = Stopwatch.GetElapsedTime(began);
        var fit = took <= TimeSpan.Zero ? NewHitsPerTransaction : hits * (StepWallBudget / took);
        _wallStepHits = (int)Math.Clamp(fit, Math.Min(MinNewHitsPerTransaction, NewHitsPerTransaction), NewHitsPerTransaction);
    }

    /// <summary>How many session rows the incremental steps wrote (tests read it: a stored session that did not change is not rewritten).</summary>
    internal long SessionRowsWritten { get; private set; }

    /// <summary>How many write transactions applied new hits incrementally (tests read it).</summary>
    internal int IncrementalSteps { get; private set; }

    /// <summary>
    /// Brings <paramref name="day"/> up to insertion order <paramref name="top"/> by applying only its new hits, in
    /// transactions of at most <see cref="NewHitsPerTransaction"/> hits, or returns false when the day must be rebuilt
    /// whole.
    /// </summary>
    private async ValueTask<bool> TryUpdateDayAsync(DbConnection connection, string siteId, long day, TimeZoneInfo zone, long top, long epoch, CancellationToken cancellationToken)
    {
        // The day's new hits in insertion order, read in the first transaction and applied over as many as it takes: the
        // hits up to top are committed and stay (a purge changes the epoch, another pass the mark: both checked per step).
        List<(RollupHit Hit, long Seq)>? pending = null;
        var pendingFrom = long.MinValue;
        var next = 0;
        var applied = false;
        // The new hits and the cost rule first, outside any write transaction (SQLite has one writer: reading a young
        // day's hits must not keep the hit writer out); a step that finds another mark reads them again inside.
        if (await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                $"SELECT seq FROM {_upkeep} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day }, cancellationToken: cancellationToken)).ConfigureAwait(false) is not { } start)
        {
            return false;
        }

        long? storedHits = null;
        if (start < top)
        {
            // The day's stored hits: what the cost rule weighs the new ones against, and what reading them through the
            // (site_id, ts) index walks (RollupTables.InsertionOrderIsRowKey).
            storedHits = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                $"SELECT events FROM {_visits} WHERE site_id = @site_id AND dim = 0 AND day = @day AND value = ''", new { site_id = siteId, day }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            pending = await ReadNewHitsAsync(connection, null, siteId, day, zone, start, top, storedHits, cancellationToken).ConfigureAwait(false);
            pending.Sort(static (x, y) => x.Seq.CompareTo(y.Seq));
            pendingFrom = start;
            if (!CheaperThanWhole(storedHits, pending.Count))
            {
                return false;
            }
        }

        while (true)
        {
            await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
            var stepBegan = Stopwatch.GetTimestamp();
            if (await StoredMarkAsync(connection, transaction, siteId, day, cancellationToken).ConfigureAwait(false) is not { } from ||
                await EpochAsync(connection, transaction, cancellationToken).ConfigureAwait(false) != epoch)
            {
                return false; // the steps committed before stay: the whole rebuild replaces them
            }

            if (from >= top)
            {
                break; // done, or another pass got here first
            }

            if (pending is null || from != pendingFrom)
            {
                pending = await ReadNewHitsAsync(connection, transaction, siteId, day, zone, from, top, storedHits, cancellationToken).ConfigureAwait(false);
                pending.Sort(static (x, y) => x.Seq.CompareTo(y.Seq));
                next = 0;
            }

            // At most NewHitsPerTransaction hits, ending on a whole insertion order (PostgreSQL: one transaction id per batch).
            var end = Math.Min(pending.Count, next + StepHits);
            while (end < pending.Count && pending[end].Seq == pending[end - 1].Seq)
            {
                end++;
            }

            var stepTop = end < pending.Count ? pending[end - 1].Seq : top;
            var fresh = pending.GetRange(next, end - next);
            if (fresh.Count > 0 && !await ApplyNewHitsAsync(connection, transaction, siteId, day, zone, fresh, cancellationToken).ConfigureAwait(false))
            {
                return false; // disposing the transaction rolls back whatever this step wrote
            }

            await SetMarkAsync(connection, transaction, siteId, day, stepTop, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            TimeStep(fresh.Count, stepBegan);
            if (fresh.Count > 0)
            {
                applied = true;
                IncrementalSteps++;
            }

            next = end;
            pendingFrom = stepTop;
        }

        if (applied)
        {
            IncrementalDays++;
        }

        return true;
    }

    private async ValueTask<bool> ApplyNewHitsAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, TimeZoneInfo zone,
        List<(RollupHit Hit, long Seq)> fresh, CancellationToken cancellationToken)
    {
        var byVisitor = new Dictionary<long, List<(RollupHit Hit, long Seq)>>();
        foreach (var h in fresh)
        {
            if (!byVisitor.TryGetValue(h.Hit.VisitorId, out var list))
            {
                byVisitor[h.Hit.VisitorId] = list = [];
            }

            list.Add(h);
        }

        // A day without stored rows can only be rebuilt whole (whether the rest is cheaper whole was decided before the
        // first step: CheaperThanWhole). Stored rows of the next day hold links into this one.
        var dayVisitors = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT visitors FROM {_visits} WHERE site_id = @site_id AND dim = 0 AND day = @day AND value = ''", new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (dayVisitors is null)
        {
            return false;
        }

        var nextDay = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT visitors FROM {_visits} WHERE site_id = @site_id AND dim = 0 AND day = @day AND value = ''", new { site_id = siteId, day = day + 1 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (nextDay is not null)
        {
            return false;
        }

        var visitors = byVisitor.Keys.Order().ToList();
        var stored = await _sessions.ReadVisitorSessionsAsync(connection, transaction, siteId, day, visitors, cancellationToken).ConfigureAwait(false);
        var dayStart = StartOfDayMs(day, zone);
        var nextDayStart = StartOfDayMs(day + 1, zone);
        // A live day keeps no segment or page-segment rows (SessionRollups.LiveDays.cs): only the day rows and sessions change.
        var live = await _sessions.IsLiveAsync(connection, transaction, siteId, day, cancellationToken).ConfigureAwait(false);
        var delta = new SessionRollups.UpkeepDelta { CoveredPages = live ? [] : await _sessions.CoveredPagesAsync(connection, transaction, siteId, day, cancellationToken).ConfigureAwait(false) };
        var sessions = new List<UpkeepSession>();
        var rewritten = new List<long>();
        var touched = new HashSet<long>();
        foreach (var visitor in visitors)
        {
            var old = stored.GetValueOrDefault(visitor) ?? [];
            var hits = byVisitor[visitor];
            // The order RollupDay.Compute cuts a visitor's hits in.
            hits.Sort(static (x, y) => RollupDay.CompareInSession(x.Hit, y.Hit));
            if (old.Any(s => s.Linked) || (old.Count > 0 && hits[0].Hit.Ms <= old.Max(s => s.End)))
            {
                return false;
            }

            var now = old.Select(s => s.Clone()).ToList();
            var current = now.Count > 0 ? now[^1] : null;
            foreach (var (hit, _) in hits)
            {
                if (current is null || hit.Ms - current.End >= TimeoutMs)
                {
                    if (hit.PreviousVisitorId is not null && hit.Ms < dayStart + TimeoutMs)
                    {
                        return false; // may continue a session of the day before: links are the whole rebuild's
                    }

                    current = new UpkeepSession { VisitorId = visitor, Start = hit.Ms, End = hit.Ms, Entry = hit.Path, Attributes = hit.Attributes };
                    now.Add(current);
                }

                current.Append(hit);
            }

            // Touched as the session writer decides it: no session of these visitors continues the day before.
            var wasTouched = old.Any(s => s.Touched);
            var isTouched = now.Any(s => s.End > nextDayStart - TimeoutMs);
            if (isTouched)
            {
                touched.Add(visitor);
            }

            // A live day's untouched visitors contribute to no segment row: counted as touched ones are.
            SessionRollups.AddContribution(delta, old, wasTouched || live, -1);
            SessionRollups.AddContribution(delta, now, isTouched || live, +1);
            // Stored rows stay where they still hold the session: new hits extend at most the last stored session (they
            // sort after all of the visitor's stored hits), and the touched flag is the visitor's. A visitor whose last
            // session grew or whose flag changed has its rows rewritten; one that only started sessions gets those added.
            if (old.Count > 0 && (wasTouched != isTouched || now[old.Count - 1].Events != old[^1].Events))
            {
                rewritten.Add(visitor);
                sessions.AddRange(now);
            }
            else
            {
                sessions.AddRange(now.Skip(old.Count));
            }
        }

        if (!await SessionRollups.ApplyDeltaAsync(_t, connection, transaction, _events, EventColumns, EventTypes, siteId, day, delta.Events, 2, cancellationToken).ConfigureAwait(false) ||
            !await SessionRollups.ApplyDeltaAsync(_t, connection, transaction, _visits, VisitColumns, VisitTypes, siteId, day, delta.Visits, 1, cancellationToken).ConfigureAwait(false) ||
            !await _sessions.ApplySegmentDeltaAsync(connection, transaction, siteId, day, delta, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        // Only the visitors whose stored rows changed have rows to replace; the others' new sessions are added.
        SessionRowsWritten += sessions.Count;
        await _sessions.WriteVisitorSessionsAsync(connection, transaction, siteId, day, rewritten, sessions, touched, nextDayStart, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The CPU cost of applying one new hit incrementally, in the unit of <see cref="WholeCostPerHit"/> (microseconds:
    /// ~44 µs per new hit of a live day on realistic traffic, SQLite, docs/performance.md "Upkeep, round 10"; PostgreSQL's
    /// client spends less, its server more).
    /// </summary>
    internal int IncrementalCostPerHit { get; set; } = 44;

    /// <summary>
    /// The CPU cost of rebuilding one of a day's hits whole (read, cut, write: ~22 µs per hit of a live day, which keeps
    /// no segment rows; SQLite, docs/performance.md "Upkeep, round 10").
    /// </summary>
    internal int WholeCostPerHit { get; set; } = 22;

    /// <summary>
    /// The fallback rule by cost: applying <paramref name="newHits"/> incrementally (each costs about
    /// <see cref="IncrementalCostPerHit"/>) against rebuilding the day whole (its stored hits and the new ones, each
    /// about <see cref="WholeCostPerHit"/>). A young day whose new hits outnumber its stored ones is rebuilt whole; a day
    /// without stored rows always is.
    /// </summary>
    private bool CheaperThanWhole(long? storedHits, long newHits) =>
        storedHits is { } hits && newHits * IncrementalCostPerHit <= (hits + newHits) * WholeCostPerHit;

    /// <summary>
    /// The statement that reads a day's hits with an insertion order in (<c>@lo</c>, <c>@hi</c>], with it;
    /// <paramref name="byOrder"/>: by that range of the row key, the site and time conditions kept off the
    /// <c>(site_id, ts)</c> index (<see cref="RollupTables.InsertionOrderIsRowKey"/>).
    /// </summary>
    internal string NewHitsSql(bool byOrder)
    {
        var order = _t.InsertionOrder!;
        var plus = byOrder ? "+" : string.Empty;
        var attributes = string.Concat(RollupDimensions.Attributes.Select(d => $", COALESCE({d.Column}, @not_set)"));
        return $"SELECT {_t.Dialect.EpochMilliseconds("ts")}, visitor_id, prev_visitor_id, path, event_name, hostname{attributes}, {order}, id" +
               $" FROM {_t.Hits} WHERE {plus}site_id = @site_id AND {plus}ts >= @from_ts AND {plus}ts < @to_ts AND {order} > @lo AND {order} <= @hi";
    }

    // The day's hits with an insertion order in (from, top], with it.
    // By a range of the insertion order when it is the row key and the range holds fewer hits than the day has stored
    // (RollupTables.InsertionOrderIsRowKey): the new hits of a live day are the table's tail.
    private async ValueTask<List<(RollupHit Hit, long Seq)>> ReadNewHitsAsync(DbConnection connection, DbTransaction? transaction, string siteId, long day, TimeZoneInfo zone, long from, long top,
        long? storedHits, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.FromUnixTimeMilliseconds(StartOfDayMs(day, zone));
        var end = DateTimeOffset.FromUnixTimeMilliseconds(StartOfDayMs(day + 1, zone));
        var sql = NewHitsSql(_t.InsertionOrderIsRowKey && storedHits is { } stored && top - from < stored);
        var parameters = new { site_id = siteId, from_ts = _t.Dialect.TimestampValue(start), to_ts = _t.Dialect.TimestampValue(end), not_set = HitDimension.NotSet, lo = from, hi = top };
        var hits = new List<(RollupHit, long)>();
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var attributeCount = RollupDimensions.Attributes.Length;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var values = new string[attributeCount];
            for (var i = 0; i < attributeCount; i++)
            {
                values[i] = reader.GetString(6 + i);
            }

            hits.Add((new RollupHit(
                reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.GetString(3), reader.GetString(4), reader.GetString(5), values, _t.Dialect.ReadId(reader, 7 + attributeCount)), reader.GetInt64(6 + attributeCount)));
        }

        return hits;
    }
}
