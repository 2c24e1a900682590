// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Sql;

namespace FrancisBeacon.PostgreSql;

/// <summary>PostgreSQL keeps timestamps as <c>timestamptz</c> (microseconds); the store writes whole milliseconds.</summary>
internal sealed class PostgreSqlDialect : SqlDialect
{
    // 9999-12-31T23:59:59.999 UTC, the latest whole millisecond a DateTimeOffset can hold.
    private static readonly long LatestMillisecondTicks =
        DateTimeOffset.MaxValue.UtcTicks - (DateTimeOffset.MaxValue.UtcTicks % TimeSpan.TicksPerMillisecond);

    public static PostgreSqlDialect Instance { get; } = new();

    public override string BinaryCollation => " COLLATE \"C\"";

    /// <remarks>
    /// <c>extract(epoch ...)</c> is <c>numeric</c> since PostgreSQL 14 (<c>double precision</c> before); either way a
    /// whole-millisecond value times 1000 is within rounding error of an integer, and the cast to <c>bigint</c> rounds
    /// to it. Day numbers then use bigint division, which truncates toward zero exactly like SQLite's integer
    /// division (the same floor for instants after 1970).
    /// </remarks>
    public override string EpochMilliseconds(string column) => $"(extract(epoch from {column}) * 1000)::bigint";

    /// <inheritdoc />
    public override string NowMilliseconds => "(extract(epoch from clock_timestamp()) * 1000)::bigint";

    /// <inheritdoc />
    public override string RevenueMicros => "((revenue * 1000000)::bigint)";

    /// <inheritdoc />
    public override string Contains(string haystack, string needle) => $"strpos({haystack}, {needle}) > 0";

    /// <summary>
    /// <c>NOT EXISTS</c>, which PostgreSQL plans as an anti join (a hash anti join with the session statements' settings);
    /// <c>NOT IN</c> or <c>IN … IS NOT TRUE</c> stay a subplan, hashed only while the subquery's estimated rows fit in
    /// <c>work_mem</c>, otherwise scanned in full for every row.
    /// </summary>
    public override string NotAmongRows(string first, string second, string subquery) =>
        $"(NOT EXISTS (SELECT 1 FROM ({subquery}) d WHERE d.r_vid = {first} AND d.r_start = {second}))";

    /// <summary>
    /// Nested loops off for the session-rollup statements: their filters on merged visit values (CASE expressions) are
    /// estimated at a few hundred rows where tens of thousands match, and the planner then joined each session to the
    /// continuation rows by a nested loop over all linked rows of the site (26.6 s instead of 1.3 s for a 30-day
    /// `visit:source` filter at 10 M hits; docs/performance.md). The raw path's session statements too: their CTEs have no
    /// statistics, and on a freshly loaded table a behavioural filter's anti join ran as a nested loop over every hit and
    /// session (31 s for 5 000 hits; docs/performance.md, "The raw path's session statements on PostgreSQL").
    /// JIT off as for <see cref="HitDrivenQuerySetup"/>.
    /// </summary>
    public override string? SessionQuerySetup => "SET enable_nestloop = off; SET jit = off";

    /// <inheritdoc />
    public override string? SessionQueryReset => "RESET enable_nestloop; RESET jit";

    /// <summary>
    /// No JIT compilation for the session-rollup statements: a year's range is estimated above <c>jit_above_cost</c>
    /// (140,000–190,000 for a `12mo` statement under <c>event:page is P</c> at 10 M hits), and compiling its
    /// expressions (the merged-session CASE columns) took 240–480 ms of a statement that runs in 350–600 ms without it
    /// (docs/performance.md, "PostgreSQL `12mo` at 10 M hits: the visibility map, JIT and the touched visitors").
    /// </summary>
    public override string? HitDrivenQuerySetup => "SET jit = off";

    /// <inheritdoc />
    public override string? HitDrivenQueryReset => "RESET jit";

    /// <summary>
    /// No parallel workers for the top-k list statements: one hash aggregate over 40,000–80,000 index-only rows takes
    /// about 50 ms serially, and the parallel plan (partial aggregates, a sort per worker, a gather merge) was no faster
    /// for `30d` and slower for `12mo` on the 2-core machine at load 4–5 (`12mo` top pages at 10 M hits: 66–76 ms
    /// parallel, 52 ms serial; docs/performance.md, "Top-k list reads").
    /// </summary>
    public override string? ListQuerySetup => "SET max_parallel_workers_per_gather = 0";

    /// <inheritdoc />
    public override string? ListQueryReset => "RESET max_parallel_workers_per_gather";

    /// <inheritdoc />
    /// <remarks>The value is compared under the "C" collation so that ranges and classes never depend on a locale.</remarks>
    public override string RegexMatch(string value, string pattern) => $"(({value}) COLLATE \"C\" ~ {pattern})";

    /// <inheritdoc />
    public override string MonthNumber(string dayNumber) =>
        $"((extract(year from date '1970-01-01' + ({dayNumber})::integer) * 12 + extract(month from date '1970-01-01' + ({dayNumber})::integer) - 1)::bigint)";

    public override object TimestampValue(DateTimeOffset value) => ToBound(value);

    /// <summary>The value a hit's timestamp is stored as: UTC, truncated to the millisecond.</summary>
    public static DateTimeOffset ToStored(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>
    /// A range bound that compares with stored (whole-millisecond) timestamps exactly as <paramref name="value"/>
    /// would: UTC, rounded up to the millisecond. Npgsql only writes UTC <see cref="DateTimeOffset"/> values, and
    /// PostgreSQL would otherwise drop the sub-microsecond ticks. <see cref="DateTimeOffset.MinValue"/> binds as is
    /// (Npgsql sends <c>-infinity</c>); bounds past the last representable millisecond become one microsecond after
    /// it, which no stored value reaches, instead of overflowing.
    /// </summary>
    public static DateTimeOffset ToBound(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        var remainder = ticks % TimeSpan.TicksPerMillisecond;
        if (remainder == 0)
        {
            return new DateTimeOffset(ticks, TimeSpan.Zero);
        }

        if (ticks > LatestMillisecondTicks)
        {
            return new DateTimeOffset(LatestMillisecondTicks + 10, TimeSpan.Zero);
        }

        return new DateTimeOffset(ticks - remainder + TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
