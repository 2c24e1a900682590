// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

// Runs the dashboard's query set against a store twice in the same run: as the store answers it (rollups on) and
// through the raw-table path alone (rollups off, the naive baseline), and prints p50/p95 per query and for the whole
// set, with the ratio naive / rollups. See docs/performance.md.
//
//   dotnet run -c Release --project tests/benchmarks/FrancisBeacon.QueryBenchmark -- \
//       --store sqlite --connection "Data Source=/tmp/beacon-10m.db" [--time-zone Europe/Berlin] [--site example.com]
//       [--iterations 15] [--naive-iterations 3] [--periods 30d,12mo] [--now 2026-11-28T12:00:00Z] [--skip-naive false]
//       [--rollup-queries-only false]
//       [--only "source is|page is"] (only the queries whose name contains one of the |-separated texts; "=top pages": exactly that name)
//       [--live-hit false] (after the refresh, store one page view an hour before --now, so that today waits for a
//       rebuild during the run, as it does on a live site between the rollup worker's passes)
//       [--live-site false] (during the whole run, store a page view of today every 200 ms and run a rollup pass every
//       5 s, as the beacon and the rollup worker do on a live site; implies --skip-naive true)
//       [--max-rollup-lag 10] (seconds: the store's MaxRollupLag; 0 = every query cuts the days not rolled up yet)
//       [--refresh-until-idle true] (before the run, rollup passes until one takes under 300 ms: the block builds after
//       the first build, an upgrade's backfill; what the rollup worker has done on a running site. false: measure right
//       after the first build)
//       [--dashboard-concurrency 6] (after the per-query runs, the whole set again with this many queries in flight, as
//       the dashboard's browser asks them over its six HTTP/1.1 connections; 0 = skip; skipped with --only)
using System.Diagnostics;
using System.Globalization;
using FrancisBeacon;
using FrancisBeacon.PostgreSql;
using FrancisBeacon.Querying;
using FrancisBeacon.Sqlite;
using FrancisBeacon.Storage;

var options = Arguments.Parse(args);
var zone = SiteTimeZones.TryFind(options.Get("time-zone", "Europe/Berlin"), out var tz) ? tz : throw new ArgumentException("Unknown --time-zone.");
var siteId = options.Get("site", "example.com");
var iterations = int.Parse(options.Get("iterations", "15"), CultureInfo.InvariantCulture);
var naiveIterations = int.Parse(options.Get("naive-iterations", "3"), CultureInfo.InvariantCulture);
var liveSite = bool.Parse(options.Get("live-site", "false"));
var skipNaive = liveSite || bool.Parse(options.Get("skip-naive", "false"));
// Leaves out the visit:* queries with a page filter, which no rollup answers (both columns are the raw path).
var rollupQueriesOnly = bool.Parse(options.Get("rollup-queries-only", "false"));
var dashboardConcurrency = int.Parse(options.Get("dashboard-concurrency", "6"), CultureInfo.InvariantCulture);
var now = options.TryGet("now") is { } nowText ? DateTimeOffset.Parse(nowText, CultureInfo.InvariantCulture) : TimeProvider.System.GetUtcNow();
var store = StoreFactory.Create(options, rollups: true);
var naive = StoreFactory.Create(options, rollups: false);
var ct = CancellationToken.None;
if (store is IHitStoreSchema schema)
{
    await schema.MigrateAsync(ct);
}

var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [siteId] = zone };
var watch = Stopwatch.StartNew();
var days = await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, ct);
Console.WriteLine($"Rollup refresh: {days} days rebuilt in {watch.Elapsed.TotalSeconds:F1} s");
watch.Restart();
Console.WriteLine($"Second refresh (nothing new): {await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, ct)} days in {watch.Elapsed.TotalMilliseconds:F0} ms");
if (bool.Parse(options.Get("refresh-until-idle", "true")))
{
    // The rollup worker's passes until one finds nothing to do (an upgrade's backfill and block builds, bounded per pass).
    var all = Stopwatch.StartNew();
    for (var pass = 1; ; pass++)
    {
        watch.Restart();
        await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, ct);
        Console.Error.WriteLine($"pass {pass}: {watch.Elapsed.TotalMilliseconds:F0} ms");
        if (watch.Elapsed < TimeSpan.FromMilliseconds(300))
        {
            Console.WriteLine($"Refresh until idle: {pass} passes in {all.Elapsed.TotalSeconds:F1} s");
            break;
        }
    }
}

if (bool.Parse(options.Get("live-hit", "false")))
{
    await store.AppendAsync([FrancisBeacon.Testing.HitBuilder.Pageview("/pricing").ForSite(siteId).ByVisitor(long.MaxValue - 1).At(now.AddHours(-1)).Build()], ct);
    Console.WriteLine($"Stored one hit at {now.AddHours(-1):O}: today waits for a rebuild during the run.");
}

using var liveStop = new CancellationTokenSource();
var live = liveSite ? LiveSite.RunAsync(store, sites, siteId, now, liveStop.Token) : Task.FromResult("");
var total = (await store.QueryAsync(new HitQuery { SiteId = siteId, From = DateTimeOffset.UnixEpoch, To = now.AddDays(2), Metrics = [HitMetric.Events] }, ct)).Rows[0].Metrics[0];
Console.WriteLine($"Store: {options.Get("store", "sqlite")}, {total:N0} hits, site {siteId} ({zone.Id}), now {now:O}, {Environment.ProcessorCount} cores");
Console.WriteLine();

var mismatches = 0;
foreach (var period in options.Get("periods", "30d,12mo").Split(','))
{
    var range = QueryDateRange.Named(period) ?? throw new ArgumentException($"Unknown period {period}.");
    var (from, to) = range.Resolve(zone, now);
    var set = DashboardQueries.For(siteId, zone, from, to);
    Console.WriteLine($"## {period} ({from:yyyy-MM-dd} .. {to:yyyy-MM-dd}), {iterations} runs with rollups, {(skipNaive ? "naive skipped" : $"{naiveIterations} naive")}");
    Console.WriteLine();
    Console.WriteLine("| query | rollups p50 ms | rollups p95 ms | naive p50 ms | naive p95 ms | naive/rollups (p95) | rollups CPU p50 ms |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    var setTimes = new double[iterations];
    var naiveSetTimes = new double[naiveIterations];
    foreach (var (name, queries) in set)
    {
        if ((rollupQueriesOnly && name.StartsWith("visit:", StringComparison.Ordinal))
            || (options.TryGet("only") is { } only && !only.Split('|').Any(o => o.StartsWith('=') ? name == o[1..] : name.Contains(o, StringComparison.Ordinal))))
        {
            continue;
        }

        AggregateResult[] answers;
        try
        {
            answers = await RunAsync(store, queries); // warm-up, and the answer to compare
        }
        catch (HitQueryException e)
        {
            Console.WriteLine($"| {name} | not supported by this query model: {e.Message} | | | | |");
            continue;
        }

        var timings = new double[iterations];
        var cpu = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            // CPU time of the whole process as well: on a loaded machine the wall clock mostly measures waiting.
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var w = Stopwatch.StartNew();
            await RunAsync(store, queries);
            timings[i] = w.Elapsed.TotalMilliseconds;
            cpu[i] = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
            setTimes[i] += timings[i];
        }

        var naiveTimings = new double[skipNaive ? 0 : naiveIterations];
        for (var i = 0; i < naiveTimings.Length; i++)
        {
            var w = Stopwatch.StartNew();
            var naiveAnswers = await RunAsync(naive, queries);
            naiveTimings[i] = w.Elapsed.TotalMilliseconds;
            naiveSetTimes[i] += naiveTimings[i];
            if (i == 0 && !naiveAnswers.SequenceEqual(answers))
            {
                mismatches++;
                Console.Error.WriteLine($"MISMATCH in {period} {name}:\n{string.Join("\n", answers.Select(a => a.ToString()))}\n-- naive --\n{string.Join("\n", naiveAnswers.Select(a => a.ToString()))}");
            }
        }

        Console.WriteLine(Row(name, timings, naiveTimings) + string.Create(CultureInfo.InvariantCulture, $" {Percentile(cpu, 50):F1} |"));
    }

    Console.WriteLine(Row("**whole set**", setTimes, skipNaive ? [] : naiveSetTimes));
    if (dashboardConcurrency > 0 && options.TryGet("only") is null)
    {
        // The same widgets as the dashboard asks them: every query starts at once and at most N are in flight (the
        // browser's connections per host); the wall time until the last answer. A widget's own queries (top stats and
        // its comparison) go one after the other, as the dashboard's do.
        var entries = set.Where(e => !(rollupQueriesOnly && e.Name.StartsWith("visit:", StringComparison.Ordinal))).ToList();
        var concurrentTimes = new double[iterations];
        var concurrentCpu = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            using var slots = new SemaphoreSlim(dashboardConcurrency);
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var w = Stopwatch.StartNew();
            await Task.WhenAll(entries.Select(async e =>
            {
                await slots.WaitAsync(ct);
                try
                {
                    await Task.Run(() => RunAsync(store, e.Queries), ct);
                }
                finally
                {
                    slots.Release();
                }
            }));
            concurrentTimes[i] = w.Elapsed.TotalMilliseconds;
            concurrentCpu[i] = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| **whole set, {dashboardConcurrency} at a time (as the dashboard asks)** | {Percentile(concurrentTimes, 50):F1} | {Percentile(concurrentTimes, 95):F1} | - | - | - | {Percentile(concurrentCpu, 50):F1} |"));
    }

    Console.WriteLine();
}

await liveStop.CancelAsync();
if (liveSite)
{
    Console.WriteLine(await live);
}

Console.WriteLine(skipNaive ? "Answers: not compared (the naive path was skipped)." : mismatches == 0 ? "Answers: rollups and naive path agree on every query." : $"Answers: {mismatches} queries differ between rollups and the naive path.");
return mismatches == 0 ? 0 : 1;

static async Task<AggregateResult[]> RunAsync(IHitStore store, HitQuery[] queries)
{
    var answers = new AggregateResult[queries.Length];
    for (var i = 0; i < queries.Length; i++)
    {
        answers[i] = await store.QueryAsync(queries[i], CancellationToken.None);
    }

    return answers;
}

static string Row(string name, double[] timings, double[] naive)
{
    var p95 = Percentile(timings, 95);
    var naiveP95 = naive.Length == 0 ? double.NaN : Percentile(naive, 95);
    return string.Create(CultureInfo.InvariantCulture, $"| {name} | {Percentile(timings, 50):F1} | {p95:F1} | {(naive.Length == 0 ? "-" : Percentile(naive, 50).ToString("F1", CultureInfo.InvariantCulture))} | {(naive.Length == 0 ? "-" : naiveP95.ToString("F1", CultureInfo.InvariantCulture))} | {(naive.Length == 0 ? "-" : (naiveP95 / p95).ToString("F1", CultureInfo.InvariantCulture) + "x")} |");
}

static double Percentile(double[] values, int percentile)
{
    var sorted = values.OrderBy(v => v).ToArray();
    var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
    return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
}

/// <summary>The dashboard's queries for one range: each entry is one widget (top stats asks twice, for the comparison).</summary>
internal static class DashboardQueries
{
    public static List<(string Name, HitQuery[] Queries)> For(string siteId, TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to)
    {
        var q = new HitQuery { SiteId = siteId, From = from, To = to, TimeZone = zone };
        // The previous period: as many site-local days, ending where this one starts (day-aligned across DST changes).
        var firstDay = TimeZoneSegments.LocalDay(from, zone);
        var dayCount = TimeZoneSegments.LocalDay(to, zone).DayNumber - firstDay.DayNumber;
        var previous = q with { From = TimeZoneSegments.StartOfDay(firstDay.AddDays(-dayCount), zone), To = from };
        HitMetric[] top = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.ViewsPerVisit, HitMetric.BounceRate, HitMetric.VisitDuration];
        HitMetric[] eventTop = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] list = [HitMetric.Visitors, HitMetric.Pageviews];
        HitMetric[] visitList = [HitMetric.Visitors, HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration];
        var pricing = HitFilter.Is(HitDimension.Page, "/pricing");
        var blog = HitFilter.Contains(HitDimension.Page, "/blog/");
        List<(string, HitQuery[])> set =
        [
            ("top stats + previous period", [q with { Metrics = top }, previous with { Metrics = top }]),
            ("visitors by day", [q with { Metrics = list, Dimensions = [HitDimension.Day] }]),
            ("top pages", [q with { Metrics = list, Dimensions = [HitDimension.Page], Limit = 9 }]),
            ("entry pages", [q with { Metrics = visitList, Dimensions = [HitDimension.EntryPage], Limit = 9 }]),
            ("exit pages", [q with { Metrics = visitList, Dimensions = [HitDimension.ExitPage], Limit = 9 }]),
            ("sources", [q with { Metrics = visitList, Dimensions = [HitDimension.Source], Limit = 9 }]),
            ("countries", [q with { Metrics = visitList, Dimensions = [HitDimension.Country], Limit = 9 }]),
            ("devices", [q with { Metrics = visitList, Dimensions = [HitDimension.Device], Limit = 9 }]),
            ("browsers", [q with { Metrics = visitList, Dimensions = [HitDimension.Browser], Limit = 9 }]),
            ("top stats + previous, page is /pricing", [q with { Metrics = eventTop, Filter = pricing }, previous with { Metrics = eventTop, Filter = pricing }]),
            ("visitors by day, page is /pricing", [q with { Metrics = list, Dimensions = [HitDimension.Day], Filter = pricing }]),
            ("top pages, page contains /blog/", [q with { Metrics = list, Dimensions = [HitDimension.Page], Limit = 9, Filter = blog }]),
        ];
        foreach (var dimension in new[] { HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Country, HitDimension.Device, HitDimension.Browser })
        {
            set.Add(($"{dimension.Name}, page is /pricing", [q with { Metrics = visitList, Dimensions = [dimension], Limit = 9, Filter = pricing }]));
        }

        // After a click on a source row: a visit filter on every widget (answered from the session rollups).
        var google = HitFilter.Is(HitDimension.Source, "Google");
        set.Add(("top stats + previous, source is Google", [q with { Metrics = top, Filter = google }, previous with { Metrics = top, Filter = google }]));
        set.Add(("visitors by day, source is Google", [q with { Metrics = list, Dimensions = [HitDimension.Day], Filter = google }]));
        set.Add(("top pages, source is Google", [q with { Metrics = list, Dimensions = [HitDimension.Page], Limit = 9, Filter = google }]));
        set.Add(("entry pages, source is Google", [q with { Metrics = visitList, Dimensions = [HitDimension.EntryPage], Limit = 9, Filter = google }]));
        set.Add(("countries, source is Google", [q with { Metrics = visitList, Dimensions = [HitDimension.Country], Limit = 9, Filter = google }]));
        set.Add(("top stats, page is /pricing and source is Google", [q with { Metrics = top, Filter = new HitFilterAnd([pricing, google]) }]));
        return set;
    }
}

/// <summary>--name value pairs.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Arguments Parse(string[] args)
    {
        var result = new Arguments();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected --name value, got '{args[i]}'.");
            }

            result._values[args[i][2..]] = args[i + 1];
        }

        return result;
    }

    public string Get(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public string? TryGet(string name) => _values.GetValueOrDefault(name);
}

/// <summary>A live site during the run: a page view of today every 200 ms, a rollup pass every 5 s.</summary>
internal static class LiveSite
{
    public static async Task<string> RunAsync(IHitStore store, Dictionary<string, TimeZoneInfo> sites, string siteId, DateTimeOffset now, CancellationToken stop)
    {
        await Task.Yield();
        var passes = new List<double>();
        var hits = 0;
        var lastPass = Stopwatch.StartNew();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var at = now.AddMinutes(-30).AddMilliseconds(hits);
                await store.AppendAsync([FrancisBeacon.Testing.HitBuilder.Pageview("/live").ForSite(siteId).ByVisitor(long.MaxValue - 1000 - hits).At(at).Build()], CancellationToken.None);
                hits++;
                if (lastPass.Elapsed >= TimeSpan.FromSeconds(5))
                {
                    var w = Stopwatch.StartNew();
                    await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, CancellationToken.None);
                    passes.Add(w.Elapsed.TotalMilliseconds);
                    lastPass.Restart();
                }

                await Task.Delay(200, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        passes.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"Live site: {hits} hits stored during the run, {passes.Count} rollup passes (ms: p50 {(passes.Count == 0 ? 0 : passes[passes.Count / 2]):F0}, max {(passes.Count == 0 ? 0 : passes[^1]):F0}).");
    }
}

/// <summary>Opens the store named by --store and --connection, with or without rollups.</summary>
internal static class StoreFactory
{
    public static IHitStore Create(Arguments options, bool rollups)
    {
        var connection = options.TryGet("connection") ?? throw new ArgumentException("--connection is required.");
        var lag = TimeSpan.FromSeconds(double.Parse(options.Get("max-rollup-lag", "10"), CultureInfo.InvariantCulture));
        return options.Get("store", "sqlite") switch
        {
            "sqlite" => new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = connection, EnableRollups = rollups, MaxRollupLag = lag }),
            "postgres" => new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = connection, Schema = options.Get("schema", "bench"), EnableRollups = rollups, MaxRollupLag = lag }),
            var other => throw new ArgumentException($"Unknown --store '{other}' (sqlite or postgres)."),
        };
    }
}
