// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Page blocks (migration SQLite 0016 / PostgreSQL 0016): the page-segment rows of one page P
/// (<c>rollup_page_visits</c>, SessionRollups.PageSegments.cs) summed per ISO week and calendar month (from the day
/// rows) and per aligned run of 2, 4 and 8 months (from the month blocks), in <c>rollup_page_block_visits</c> keyed
/// <c>(site_id, first_day, end_day, path, dim, value)</c>; <c>rollup_page_blocks</c> lists the blocks whose rows are
/// complete. A block of P exists only when <em>every</em> day of it has page rows for P (is listed in
/// <c>rollup_page_days</c>): the page rows count untouched visitors only, so such a block is a plain sum of its days,
/// and a query reading it answers exactly what the day rows would.
/// </content>
/// <remarks>
/// <para>
/// Every rewrite of a day's page rows deletes the blocks holding that day in the same transaction: a whole rebuild of
/// the day (all pages), an upkeep delta (the pages it changes), the backfill. The rollup worker's pass then builds the
/// blocks that are eligible and not listed, and drops the listed ones that are not eligible any more (a day purged or
/// past the raw-hit horizon lost its page rows). A query also checks that every day of a block it reads is listed for P
/// in the range (<see cref="PagePiecesAsync"/>), so a block is never read with a day that has no rows.
/// </para>
/// <para>
/// Built once complete, like the segment blocks: a block whose last day is not before the site's latest day with hits
/// is not built (the current week and month change on every pass; no range ending today can use them).
/// </para>
/// </remarks>
internal sealed partial class SessionRollups
{
    // How often a pass looks at every page's blocks even when nothing it changed calls for it.
    private static readonly TimeSpan PageBlockFullLook = TimeSpan.FromMinutes(10);

    // The sites whose blocks were all built by an earlier pass of this instance: the latest day then, and when.
    private readonly ConcurrentDictionary<string, (long? Latest, long At)> _pageBlocksDone = new(StringComparer.Ordinal);

    private string PageBlocks => _t.Prefix + "rollup_page_blocks";

    private string PageBlockVisits => _t.Prefix + "rollup_page_block_visits";

    /// <summary>How long one pass of the rollup worker may spend building page blocks (the rest wait for the next pass). Default: 2 s.</summary>
    internal TimeSpan PageBlockTimePerPass { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Page blocks built since this instance was created (tests).</summary>
    internal int PageBlocksBuilt { get; private set; }

    /// <summary>The page blocks of <paramref name="siteId"/> holding <paramref name="day"/>, of <paramref name="paths"/> (all pages when null), deleted inside <paramref name="transaction"/>.</summary>
    private async ValueTask DeletePageBlocksOfDayAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, HashSet<string>? paths, CancellationToken cancellationToken)
    {
        var blocks = await connection.QueryAsync<(long First, long End, string Path)>(new CommandDefinition(
            $"SELECT first_day, end_day, path FROM {PageBlocks} WHERE site_id = @site_id AND first_day <= @day AND end_day > @day",
            new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        foreach (var block in blocks.ToList())
        {
            if (paths is null || paths.Contains(block.Path))
            {
                await DeletePageBlockAsync(connection, transaction, siteId, block, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask DeletePageBlockAsync(DbConnection connection, DbTransaction transaction, string siteId, (long First, long End, string Path) block, CancellationToken cancellationToken)
    {
        var key = new { site_id = siteId, first = block.First, end = block.End, path = block.Path };
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {PageBlocks} WHERE site_id = @site_id AND path = @path AND first_day = @first AND end_day = @end", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {PageBlockVisits} WHERE site_id = @site_id AND first_day = @first AND end_day = @end AND path = @path", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// The rollup worker's page work for a site after its days: the backfill of old days' page rows
    /// (SessionRollups.PageBackfill.cs), then the page blocks: builds the eligible ones not listed yet (weeks and months
    /// first, then runs of months from the months), drops the listed ones no longer eligible. Bounded per pass by
    /// <see cref="PageBackfillTimePerPass"/> and <see cref="PageBlockTimePerPass"/>. Returns the number of blocks built.
    /// </summary>
    /// <remarks>
    /// A pass looks at every page's blocks only when something may have changed them: days backfilled, the site's latest
    /// day moved (blocks became complete), a changed day (<paramref name="changedDays"/>: rebuilt or updated in this pass)
    /// lies in a complete block, blocks were left to build by an earlier pass of this instance, none was done yet, or
    /// the last full look is 10 minutes old (a block that lost a day to the raw-hit horizon is dropped then; no query
    /// reads it meanwhile, <see cref="PagePiecesAsync"/>). A live site's passes change only today, whose blocks are
    /// never complete, so they skip the blocks (reading every page's days and blocks took 0.2–0.3 s at 10 M hits).
    /// </remarks>
    public async ValueTask<int> RefreshPageBlocksAsync(DbConnection connection, string siteId, IReadOnlyCollection<long> changedDays, CancellationToken cancellationToken)
    {
        var backfilled = await BackfillPagesAsync(connection, siteId, cancellationToken).ConfigureAwait(false);

        var key = new { site_id = siteId };
        var latest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT MAX(day) FROM {_t.Prefix}rollup_events WHERE site_id = @site_id AND dim = 0", key, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (backfilled == 0 && _pageBlocksDone.TryGetValue(siteId, out var done) && done.Latest == latest &&
            Stopwatch.GetElapsedTime(done.At) < PageBlockFullLook && changedDays.All(d => SegmentBlocksOf(d).All(b => b.End > latest)))
        {
            return 0;
        }

        _pageBlocksDone.TryRemove(siteId, out _);
        var covered = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        foreach (var (day, path) in await connection.QueryAsync<(long Day, string Path)>(new CommandDefinition(
                     $"SELECT day, path FROM {PageDays} WHERE site_id = @site_id", key, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            if (!covered.TryGetValue(path, out var days))
            {
                covered[path] = days = [];
            }

            days.Add(day);
        }

        var listed = new HashSet<(long First, long End, string Path)>(await connection.QueryAsync<(long First, long End, string Path)>(new CommandDefinition(
            $"SELECT first_day, end_day, path FROM {PageBlocks} WHERE site_id = @site_id", key, cancellationToken: cancellationToken)).ConfigureAwait(false));

        // Eligible: complete, and every day listed for the page.
        var eligible = new HashSet<(long First, long End, string Path)>();
        foreach (var (path, days) in covered)
        {
            var seen = new HashSet<(long First, long End)>();
            foreach (var day in days)
            {
                foreach (var block in SegmentBlocksOf(day))
                {
                    if (block.End <= latest && seen.Add(block) && AllDays(block, days))
                    {
                        eligible.Add((block.First, block.End, path));
                    }
                }
            }
        }

        var gone = listed.Where(b => !eligible.Contains(b)).ToList();
        if (gone.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
            foreach (var block in gone)
            {
                await DeletePageBlockAsync(connection, transaction, siteId, block, cancellationToken).ConfigureAwait(false);
                listed.Remove(block);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // Weeks and months from the day rows first, then the runs of months (shortest first) from the months.
        var wanted = eligible.Where(b => !listed.Contains(b))
            .OrderBy(b => IsSegmentWeek((b.First, b.End)) || IsSegmentMonth((b.First, b.End)) ? 0 : 1).ThenBy(b => b.End - b.First).ThenBy(b => b.First).ThenBy(b => b.Path, StringComparer.Ordinal)
            .ToList();
        var started = Stopwatch.GetTimestamp();
        var built = 0;
        var complete = true;
        foreach (var block in wanted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(started) > PageBlockTimePerPass)
            {
                complete = false;
                break;
            }

            List<(long First, long End)>? months = null;
            if (!IsSegmentWeek((block.First, block.End)) && !IsSegmentMonth((block.First, block.End)))
            {
                months = MonthsOf(block.First, block.End);
                if (!months.All(m => listed.Contains((m.First, m.End, block.Path))))
                {
                    complete = false;
                    continue; // a month not built yet (the pass ran out of time): the next pass
                }
            }

            await BuildPageBlockAsync(connection, siteId, block, months, cancellationToken).ConfigureAwait(false);
            listed.Add(block);
            built++;
        }

        PageBlocksBuilt += built;
        if (complete)
        {
            _pageBlocksDone[siteId] = (latest, started);
        }

        return built;
    }

    private static bool AllDays((long First, long End) block, HashSet<long> days)
    {
        for (var d = block.First; d < block.End; d++)
        {
            if (!days.Contains(d))
            {
                return false;
            }
        }

        return true;
    }

    private static List<(long First, long End)> MonthsOf(long first, long end)
    {
        var months = new List<(long First, long End)>();
        for (var at = first; at < end;)
        {
            var month = HitRollups.MonthOf(at);
            months.Add(month);
            at = month.End;
        }

        return months;
    }

    /// <summary>
    /// Sums one page's block from its day rows (a week or a month) or from its months' blocks (<paramref name="months"/>,
    /// a run of months), and lists it, in one transaction: one page's month is a few tens of thousands of rows at 10 M
    /// hits a year, so the write lock is held briefly.
    /// </summary>
    private async ValueTask BuildPageBlockAsync(DbConnection connection, string siteId, (long First, long End, string Path) block, List<(long First, long End)>? months, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("site_id", siteId);
        parameters.Add("first", block.First);
        parameters.Add("end", block.End);
        parameters.Add("path", block.Path);
        const string Counts = "visitors, visits, bounces, duration_ms, pageviews, events, session_pv";
        string source;
        if (months is null)
        {
            var names = new List<string>();
            for (var d = block.First; d < block.End; d++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"d{d - block.First}");
                parameters.Add(name, d);
                names.Add("@" + name);
            }

            // One equality range (site_id, day, path) of the day key per day.
            source = $"SELECT dim, value, {Counts} FROM {PageVisits} WHERE site_id = @site_id AND day IN ({string.Join(", ", names)}) AND path = @path";
        }
        else
        {
            var parts = new List<string>();
            for (var i = 0; i < months.Count; i++)
            {
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"mf{i}"), months[i].First);
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"me{i}"), months[i].End);
                parts.Add(string.Create(CultureInfo.InvariantCulture,
                    $"SELECT dim, value, {Counts} FROM {PageBlockVisits} WHERE site_id = @site_id AND first_day = @mf{i} AND end_day = @me{i} AND path = @path"));
            }

            source = string.Join(" UNION ALL ", parts);
        }

        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        await DeletePageBlockAsync(connection, transaction, siteId, block, cancellationToken).ConfigureAwait(false);
        // Grouped in key order, so the rows are inserted in key order (one new key range, appended).
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {PageBlockVisits} (site_id, first_day, end_day, path, dim, value, {Counts})" +
            " SELECT @site_id, @first, @end, @path, dim, value, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events), SUM(session_pv)" +
            $" FROM ({source}) r GROUP BY dim, value ORDER BY dim, value",
            parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {PageBlocks} (site_id, first_day, end_day, path) VALUES (@site_id, @first, @end, @path)", parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
