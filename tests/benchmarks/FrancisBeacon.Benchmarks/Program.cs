// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

// The tools behind tests/benchmarks/load.sh (see docs/performance.md):
//   bare   --urls http://127.0.0.1:PORT      a bare ASP.NET Core app answering 204 to GET and POST /, the yardstick
//   append sqlite|postgresql [options]       batched AppendAsync throughput of a store
//   count  sqlite PATH | postgresql CS SCHEMA   how many hits a store holds
//   lock   PATH SECONDS                      holds an exclusive lock on a SQLite file: a stalled store
//   hitpath [--hits N] [--rounds N]          in-process cost of one beacon request (allocations per hit, hits/s)
using System.Diagnostics;
using System.Globalization;
using FrancisBeacon;
using FrancisBeacon.PostgreSql;
using FrancisBeacon.Sqlite;
using FrancisBeacon.Storage;

return args.Length == 0 ? Usage() : args[0] switch
{
    "bare" => Bare(args[1..]),
    "append" => await AppendAsync(args[1..]),
    "count" => await CountAsync(args[1..]),
    "lock" => await LockAsync(args[1..]),
    "hitpath" => await HitPathBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: bare --urls URL | append sqlite|postgresql [--hits N] [--batch N] [--pass-every N] [--incremental false] [--traffic worst|realistic] [--memory true] [--next-day true] [--xid-column true|false] [--connection CS] [--server-pid PID] [--no-pass true] [--schema-sql SQL] | count sqlite PATH | count postgresql CS SCHEMA");
    return 2;
}

static int Bare(string[] args)
{
    // The same host defaults as the sample (CreateBuilder, Production, console logging at Warning), minus the beacon.
    var builder = WebApplication.CreateBuilder(args);
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    var app = builder.Build();
    app.MapGet("/", () => Results.NoContent());
    app.MapPost("/", () => Results.NoContent());
    app.Run();
    return 0;
}

static async Task<int> AppendAsync(string[] args)
{
    var kind = args[0];
    var hits = int.Parse(Option(args, "--hits") ?? "200000", CultureInfo.InvariantCulture);
    var batch = int.Parse(Option(args, "--batch") ?? "1000", CultureInfo.InvariantCulture);
    // Steady mode: a rollup pass after every N batches, as the worker does on a live site (0: one pass at the end).
    var passEvery = int.Parse(Option(args, "--pass-every") ?? "0", CultureInfo.InvariantCulture);
    var incremental = !string.Equals(Option(args, "--incremental"), "false", StringComparison.Ordinal);
    // worst: every hit its own visitor (the default); realistic: one day of the data generator's session model, in
    // time order (several hits per visitor, sessions spread over the day), its first batch as the warm-up.
    var traffic = Option(args, "--traffic") ?? "worst";
    var realistic = string.Equals(traffic, "realistic", StringComparison.Ordinal);
    if (!realistic && !string.Equals(traffic, "worst", StringComparison.Ordinal))
    {
        throw new ArgumentException("--traffic is worst or realistic");
    }

    var realisticHits = realistic ? RealisticDay(hits + batch) : null;
    var warmUp = realisticHits is null ? Hits(batch) : realisticHits[..batch];
    var data = realisticHits is null ? Hits(hits) : realisticHits[batch..];
    // --id-rate N: ids made as the beacon makes them at N requests a second (version 7, consecutive ids 1/N s apart)
    // instead of all within the moment the list was built; what the id index sees under a steady load.
    if (Option(args, "--id-rate") is { } idRateText)
    {
        var idRate = double.Parse(idRateText, CultureInfo.InvariantCulture);
        var idStart = TimeProvider.System.GetUtcNow();
        data = [.. data.Select((h, i) => h with { Id = Guid.CreateVersion7(idStart.AddSeconds(i / idRate)) })];
    }

    IHitStore store;
    string? file = null;
    string? schema = null;
    string? connection = null;
    if (kind == "sqlite")
    {
        file = Path.Combine(Path.GetTempPath(), $"fb-append-{Guid.NewGuid():N}.db");
        store = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = $"Data Source={file}", IncrementalRollups = incremental });
    }
    else
    {
        connection = Option(args, "--connection") ?? Environment.GetEnvironmentVariable("FRANCISBEACON_TEST_POSTGRES")
            ?? throw new InvalidOperationException("postgresql needs --connection or FRANCISBEACON_TEST_POSTGRES");
        schema = "beacon_bench_" + Guid.NewGuid().ToString("N")[..12];
        store = new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = connection, Schema = schema, IncrementalRollups = incremental });
    }

    try
    {
        await ((IHitStoreSchema)store).MigrateAsync(CancellationToken.None);
        if (schema is not null && string.Equals(Option(args, "--xid-column"), "false", StringComparison.Ordinal))
        {
            // The append cost before incremental upkeep on PostgreSQL (raw appends only: passes need the column).
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(connection!);
            await using var drop = dataSource.CreateCommand($"DROP INDEX \"{schema}\".hits_xid_brin; ALTER TABLE \"{schema}\".hits DROP COLUMN xid");
            await drop.ExecuteNonQueryAsync();
        }

        if (schema is not null && Option(args, "--schema-sql") is { } schemaSql)
        {
            // Ablation of the server's cost per row (docs/performance.md, "Round 12"): e.g. drop an index or the trigger
            // of the fresh schema before the appends; {schema} is the quoted schema name.
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(connection!);
            await using var alter = dataSource.CreateCommand(schemaSql.Replace("{schema}", $"\"{schema}\"", StringComparison.Ordinal));
            await alter.ExecuteNonQueryAsync();
        }

        // Warm-up (JIT, connection pool, prepared statements), then the measured run into the same table.
        await store.AppendAsync(warmUp, CancellationToken.None);
        if (string.Equals(Option(args, "--next-day"), "true", StringComparison.Ordinal))
        {
            // One hit on the following day: the measured day is no longer the site's latest (not "live"), so its passes
            // keep its segment and page-segment rows as any earlier day's (docs/storage.md, "Live days").
            var last = (realisticHits ?? warmUp).Max(h => h.Timestamp);
            await store.AppendAsync([warmUp[0] with { Id = Guid.CreateVersion7(), Timestamp = last.UtcDateTime.Date.AddDays(1).AddHours(12), VisitorId = 1 }], CancellationToken.None);
        }

        var sites = new Dictionary<string, TimeZoneInfo> { ["example.com"] = TimeZoneInfo.Utc, ["shop.example"] = TimeZoneInfo.Utc };
        if (passEvery > 0)
        {
            // The warm-up batch's days are built first, so that every pass below is upkeep of a built site.
            await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, CancellationToken.None);
        }

        // --server-pid PID: the PostgreSQL postmaster's process id; the CPU of the server's processes (backends, WAL
        // writer, checkpointer) over the measured appends is reported too, since it shares the machine's cores.
        var serverPid = Option(args, "--server-pid") is { } pidText ? int.Parse(pidText, CultureInfo.InvariantCulture) : 0;
        var serverCpu = serverPid > 0 ? ClusterCpuSeconds(serverPid) : 0;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var passCpu = TimeSpan.Zero;
        var passClock = TimeSpan.Zero;
        var passes = 0;
        var passCpus = new List<double>();
        // --memory true: each pass's peak resident set above the process's resident set at its start (Linux: the peak is
        // reset through /proc/self/clear_refs before the pass, after a full GC).
        var memory = string.Equals(Option(args, "--memory"), "true", StringComparison.Ordinal);
        var passPeaks = new List<long>();
        for (var i = 0; i < data.Count; i += batch)
        {
            await store.AppendAsync(data.GetRange(i, Math.Min(batch, data.Count - i)), CancellationToken.None);
            if (passEvery > 0 && ((i / batch) + 1) % passEvery == 0)
            {
                var rssBefore = memory ? ResetPeakRss() : 0;
                var c0 = Process.GetCurrentProcess().TotalProcessorTime;
                var w0 = clock.Elapsed;
                await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, CancellationToken.None);
                if (memory)
                {
                    passPeaks.Add(ProcStatusKb("VmHWM") - rssBefore);
                }

                passCpu += Process.GetCurrentProcess().TotalProcessorTime - c0;
                passCpus.Add((Process.GetCurrentProcess().TotalProcessorTime - c0).TotalSeconds);
                passClock += clock.Elapsed - w0;
                passes++;
            }
        }

        var elapsed = clock.Elapsed;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (passEvery > 0)
        {
            // Steady: appends and passes interleaved; the appends' share is the total minus the passes.
            var appendCpu = cpu - passCpu;
            var appendClock = elapsed - passClock;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"steady {kind} (incremental {incremental}): {data.Count} hits in batches of {batch}, a pass every {passEvery} batches ({passes} passes): appends {appendClock.TotalSeconds:F2} s, {appendCpu.TotalSeconds:F2} s CPU = {data.Count / appendCpu.TotalSeconds:F0} hits per CPU-second; passes {passClock.TotalSeconds:F2} s, {passCpu.TotalSeconds:F2} s CPU; append + upkeep = {data.Count / elapsed.TotalSeconds:F0} hits/s wall clock, {data.Count / cpu.TotalSeconds:F0} hits per CPU-second"));
            // Per pass, and the median pass's CPU per new hit.
            var visitors = data.Select(h => h.VisitorId).Distinct().Count();
            // The median pass: the first passes also pay for the JIT and, in the worst case, rebuild whole.
            var sorted = passCpus.Order().ToList();
            var median = sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  traffic {traffic}: {visitors} visitors in the measured hits ({(double)data.Count / visitors:F2} hits per visitor); pass CPU s: {string.Join(' ', passCpus.Select(c => c.ToString("F2", CultureInfo.InvariantCulture)))}; median pass {median * 1e6 / (batch * passEvery):F1} us CPU per new hit"));
            if (memory)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  pass peak RSS above its start, MB: {string.Join(' ', passPeaks.Select(k => (k / 1024.0).ToString("F0", CultureInfo.InvariantCulture)))}"));
            }

            return 0;
        }

        // On a shared machine the wall-clock rate says more about the neighbours than about the store; the rate per
        // second of this process's CPU time is what one otherwise idle core would give (for SQLite, where all the
        // work is in-process; PostgreSQL's server-side work is not in it).
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"append {kind}: {data.Count} hits in batches of {batch}: {elapsed.TotalSeconds:F2} s = {data.Count / elapsed.TotalSeconds:F0} hits/s wall clock; {cpu.TotalSeconds:F2} s CPU = {data.Count / cpu.TotalSeconds:F0} hits per CPU-second (dirty-hour marking included)"));
        if (serverPid > 0)
        {
            serverCpu = ClusterCpuSeconds(serverPid) - serverCpu;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  CPU per hit: this process {cpu.TotalMicroseconds / data.Count:F2} us, the PostgreSQL server {serverCpu * 1e6 / data.Count:F2} us, together {(cpu.TotalSeconds + serverCpu) * 1e6 / data.Count:F2} us"));
        }

        if (Option(args, "--xid-column") is not null || string.Equals(Option(args, "--no-pass"), "true", StringComparison.Ordinal))
        {
            return 0; // the append cost with and without the column: no rollup pass (it needs the column)
        }

        // The rest of the rollup upkeep: the worker's pass that rebuilds the days the batches touched (here all of
        // them, once; the worker runs every 5 s and rebuilds whole days, see docs/performance.md).
        var rollupCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var rollupClock = Stopwatch.StartNew();
        var days = await ((IHitStoreRollups)store).RefreshRollupsAsync(sites, CancellationToken.None);
        var rollupElapsed = rollupClock.Elapsed;
        rollupCpu = Process.GetCurrentProcess().TotalProcessorTime - rollupCpu;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"append {kind}: + rollup pass ({days} site-days rebuilt): {rollupElapsed.TotalSeconds:F2} s, {rollupCpu.TotalSeconds:F2} s CPU; append + rollups = {data.Count / (elapsed + rollupElapsed).TotalSeconds:F0} hits/s wall clock, {data.Count / (cpu + rollupCpu).TotalSeconds:F0} hits per CPU-second"));
        return 0;
    }
    finally
    {
        (store as IDisposable)?.Dispose();
        if (file is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(file + suffix);
            }
        }

        if (schema is not null)
        {
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(connection!);
            await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
            await drop.ExecuteNonQueryAsync();
        }
    }
}

static async Task<int> CountAsync(string[] args)
{
    IHitStore store = args[0] == "sqlite"
        ? new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = $"Data Source={args[1]};Mode=ReadOnly", SchemaMode = SchemaMode.None })
        // No command timeout: reading a million rows back through the store's ordered read took longer than Npgsql's
        // default 30 s on a loaded machine, and load.sh's "nothing lost" check then had no count at all.
        : new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(args[1]) { CommandTimeout = 0 }.ConnectionString, Schema = args[2], SchemaMode = SchemaMode.None });
    long count = 0;
    await foreach (var _ in store.ReadAsync(HitRange.All, CancellationToken.None))
    {
        count++;
    }

    (store as IDisposable)?.Dispose();
    Console.WriteLine(count.ToString(CultureInfo.InvariantCulture));
    return 0;
}

static async Task<int> LockAsync(string[] args)
{
    await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={args[0]};Pooling=False");
    await connection.OpenAsync();
    await using var command = connection.CreateCommand();
    command.CommandText = "BEGIN EXCLUSIVE";
    await command.ExecuteNonQueryAsync();
    Console.WriteLine("locked");
    await Task.Delay(TimeSpan.FromSeconds(double.Parse(args[1], CultureInfo.InvariantCulture)));
    command.CommandText = "ROLLBACK";
    await command.ExecuteNonQueryAsync();
    return 0;
}

// Collects garbage, resets the kernel's peak resident set of this process and returns the current one (KiB).
// CPU seconds of a process tree rooted at a PostgreSQL postmaster: its own and its reaped children's (utime, stime,
// cutime, cstime), plus each living child's (utime, stime). Linux only.
static double ClusterCpuSeconds(int postmaster)
{
    static long[] Fields(string statPath)
    {
        var text = File.ReadAllText(statPath);
        var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        // after "pid (comm) ": state ppid ... utime is field 14 of stat, i.e. index 11 here
        return [long.Parse(rest[1], CultureInfo.InvariantCulture), long.Parse(rest[11], CultureInfo.InvariantCulture), long.Parse(rest[12], CultureInfo.InvariantCulture), long.Parse(rest[13], CultureInfo.InvariantCulture), long.Parse(rest[14], CultureInfo.InvariantCulture)];
    }

    var root = Fields($"/proc/{postmaster}/stat");
    long ticks = root[1] + root[2] + root[3] + root[4];
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            continue;
        }

        try
        {
            var f = Fields(Path.Combine(dir, "stat"));
            if (f[0] == postmaster)
            {
                ticks += f[1] + f[2];
            }
        }
        catch (IOException)
        {
        }
    }

    return ticks / 100.0; // USER_HZ
}

static long ResetPeakRss()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    File.WriteAllText("/proc/self/clear_refs", "5");
    return ProcStatusKb("VmRSS");
}

// A "kB" line of /proc/self/status (VmRSS, VmHWM).
static long ProcStatusKb(string name)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith(name + ":", StringComparison.Ordinal))
        {
            return long.Parse(line.AsSpan(name.Length + 1).Trim().TrimEnd("kB").Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        }
    }

    return 0;
}

static string? Option(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// One UTC day (2026-11-02) of the data generator's session model for example.com, in time order.
static List<Hit> RealisticDay(int count) =>
    [.. new FrancisBeacon.Testing.RealisticHitGenerator(2_000) { Seed = 7 }.Generate(count, 1, new DateOnly(2026, 11, 2)).OrderBy(h => h.Timestamp).Take(count)];

// Hits as the pipeline produces them: a few sites, realistic paths, referrers, UTM, browser fields, some props.
static List<Hit> Hits(int count)
{
    var random = new Random(42);
    string[] browsers = ["Chrome", "Firefox", "Safari", "Edge"];
    string[] sources = ["Google", "news.ycombinator.com", "Bing", "DuckDuckGo"];
    var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    var list = new List<Hit>(count);
    for (var i = 0; i < count; i++)
    {
        var referred = random.Next(3) == 0;
        list.Add(new Hit
        {
            SiteId = random.Next(10) == 0 ? "shop.example" : "example.com",
            Timestamp = start.AddMilliseconds(i * 13L),
            EventName = random.Next(20) == 0 ? "Purchase" : Hit.PageviewEvent,
            Hostname = "example.com",
            Path = $"/blog/post-{random.Next(500)}",
            Referrer = referred ? $"https://{sources[random.Next(sources.Length)]}/search?q=lamp" : null,
            ReferrerSource = referred ? sources[random.Next(sources.Length)] : null,
            Channel = referred ? "Organic Search" : "Direct",
            UtmSource = random.Next(10) == 0 ? "newsletter" : null,
            VisitorId = random.NextInt64(),
            Browser = browsers[random.Next(browsers.Length)],
            BrowserVersion = random.Next(120, 134).ToString(CultureInfo.InvariantCulture),
            OperatingSystem = "Windows",
            OperatingSystemVersion = "10",
            DeviceType = "Desktop",
            Country = "DE",
            ScreenWidth = 1920,
            Language = "de-DE",
            Properties = random.Next(20) == 0 ? new Dictionary<string, string>(StringComparer.Ordinal) { ["product"] = "lamp" } : Hit.EmptyProperties,
        });
    }

    return list;
}
