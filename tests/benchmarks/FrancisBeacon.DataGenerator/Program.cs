// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

// Writes a realistic data set into a SQLite or PostgreSQL store through its AppendAsync (batched).
//
//   dotnet run -c Release --project tests/benchmarks/FrancisBeacon.DataGenerator -- \
//       --store sqlite --connection "Data Source=/tmp/beacon-10m.db" [--hits 10000000] [--days 365] [--seed 1]
//       [--site example.com] [--time-zone Europe/Berlin] [--last-day 2026-11-27] [--batch 5000]
//   dotnet run ... -- --store postgres --connection "Host=127.0.0.1;Port=5432;Username=postgres;Database=postgres" --schema bench
using System.Diagnostics;
using System.Globalization;
using FrancisBeacon.Querying;
using FrancisBeacon;
using FrancisBeacon.PostgreSql;
using FrancisBeacon.Sqlite;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

var options = Arguments.Parse(args);
var zone = SiteTimeZones.TryFind(options.Get("time-zone", "Europe/Berlin"), out var tz) ? tz : throw new ArgumentException("Unknown --time-zone.");
var lastDay = options.TryGet("last-day") is { } text
    ? DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture)
    : TimeZoneSegments.LocalDay(TimeProvider.System.GetUtcNow(), zone);
var hitCount = long.Parse(options.Get("hits", "10000000"), CultureInfo.InvariantCulture);
var days = int.Parse(options.Get("days", "365"), CultureInfo.InvariantCulture);
var batchSize = int.Parse(options.Get("batch", "5000"), CultureInfo.InvariantCulture);
var store = StoreFactory.Create(options);
if (store is IHitStoreSchema schema)
{
    await schema.MigrateAsync(CancellationToken.None);
}

var generator = new RealisticHitGenerator
{
    SiteId = options.Get("site", "example.com"),
    TimeZone = zone,
    Seed = int.Parse(options.Get("seed", "1"), CultureInfo.InvariantCulture),
};
Console.WriteLine($"Generating ~{hitCount:N0} hits over {days} days ending {lastDay:yyyy-MM-dd} ({zone.Id}), seed {generator.Seed}, into {options.Get("store", "sqlite")}");
var watch = Stopwatch.StartNew();
var batch = new List<Hit>(batchSize);
long written = 0;
foreach (var hit in generator.Generate(hitCount, days, lastDay))
{
    batch.Add(hit);
    if (batch.Count == batchSize)
    {
        await store.AppendAsync(batch, CancellationToken.None);
        written += batch.Count;
        batch.Clear();
        if (written % 500_000 < batchSize)
        {
            Console.WriteLine($"  {written:N0} hits, {watch.Elapsed.TotalSeconds:F0} s, {written / watch.Elapsed.TotalSeconds:N0} hits/s");
        }
    }
}

await store.AppendAsync(batch, CancellationToken.None);
written += batch.Count;
Console.WriteLine($"Done: {written:N0} hits in {watch.Elapsed.TotalSeconds:F1} s ({written / watch.Elapsed.TotalSeconds:N0} hits/s).");
if (store is IAsyncDisposable disposable)
{
    await disposable.DisposeAsync();
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

/// <summary>Opens the store named by --store and --connection.</summary>
internal static class StoreFactory
{
    public static IHitStore Create(Arguments options)
    {
        var connection = options.TryGet("connection") ?? throw new ArgumentException("--connection is required.");
        return options.Get("store", "sqlite") switch
        {
            "sqlite" => new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = connection }),
            "postgres" => new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = connection, Schema = options.Get("schema", "bench") }),
            var other => throw new ArgumentException($"Unknown --store '{other}' (sqlite or postgres)."),
        };
    }
}
