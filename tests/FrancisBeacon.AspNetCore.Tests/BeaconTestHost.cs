using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>A real WebApplication on the in-process test server, with a real SQLite file by default.</summary>
internal sealed class BeaconTestHost : IAsyncDisposable
{
    private BeaconTestHost(WebApplication app, string? databasePath)
    {
        App = app;
        DatabasePath = databasePath;
        Client = app.GetTestClient();
        // A real browser's headers, so the bot filter lets test hits through unless a test says otherwise.
        Client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", BrowserUserAgent);
        Client.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Language", "en-GB,en;q=0.8");
        Client.DefaultRequestHeaders.TryAddWithoutValidation("Accept", "image/avif,image/webp,image/png,*/*;q=0.8");
    }

    public const string BrowserUserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

    public const string OtherBrowserUserAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15";

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public string? DatabasePath { get; }

    public IServiceProvider Services => App.Services;

    public static string NewDatabasePath() =>
        Path.Combine(Path.GetTempPath(), "francisbeacon-tests", $"beacon-{Guid.NewGuid():N}.db");

    public static string ConnectionString(string path) => $"Data Source={path};Pooling=False";

    public static async Task<BeaconTestHost> StartAsync(
        Action<BeaconOptions>? configure = null,
        Func<IBeaconBuilder, IBeaconBuilder>? store = null,
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? services = null,
        string? databasePath = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        services?.Invoke(builder.Services);
        var beacon = builder.Services.AddBeacon(o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(o);
        });
        string? path = null;
        if (store is null)
        {
            path = databasePath ?? NewDatabasePath();
            // No rollup lag: tests that store hits and query at once see every hit (RollupLagTests cover the default).
            var connectionString = ConnectionString(path);
            beacon.UseSqlite(o =>
            {
                o.ConnectionString = connectionString;
                o.MaxRollupLag = TimeSpan.Zero;
            });
        }
        else
        {
            store(beacon);
        }

        var app = builder.Build();
        // Tests choose the client address with X-Test-Remote (the test server has none of its own).
        app.Use((context, next) =>
        {
            if (context.Request.Headers.TryGetValue("X-Test-Remote", out var remote))
            {
                context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(remote.ToString());
            }

            return next(context);
        });
        if (map is null)
        {
            app.UseBeacon();
            app.MapBeaconApi("/beacon/api");
        }
        else
        {
            map(app);
        }

        await app.StartAsync(TestContext.Current.CancellationToken);
        return new BeaconTestHost(app, path);
    }

    public IHitStore Store => Services.GetRequiredService<IHitStore>();

    /// <summary>Waits until the store holds at least <paramref name="count"/> hits of any site (bounded wait).</summary>
    public async Task<List<Hit>> WaitForHitsAsync(int count, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        while (true)
        {
            var hits = await ReadAllAsync(Store);
            if (hits.Count >= count || clock.Elapsed > limit)
            {
                return hits;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }
    }

    public static async Task<List<Hit>> ReadAllAsync(IHitStore store)
    {
        var list = new List<Hit>();
        await foreach (var hit in store.ReadAsync(HitRange.All, CancellationToken.None))
        {
            list.Add(hit);
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        if (DatabasePath is not null)
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(DatabasePath + suffix);
            }
        }
    }
}
