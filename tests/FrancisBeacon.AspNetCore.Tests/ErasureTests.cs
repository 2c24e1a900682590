using System.Net;
using System.Text.Json;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class ErasureTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Hit[] Hits() =>
    [
        new() { SiteId = "a.example", Path = "/1", Timestamp = Day1 },
        new() { SiteId = "a.example", Path = "/2", Timestamp = Day1.AddDays(1) },
        new() { SiteId = "a.example", Path = "/3", Timestamp = Day1.AddDays(2) },
        new() { SiteId = "b.example", Path = "/1", Timestamp = Day1.AddDays(1) },
    ];

    private static Task<BeaconTestHost> StartAsync(string? role, Action<WebApplication>? map = null, IHitStore? store = null, Action<BeaconErasureOptions>? erasure = null, TimeProvider? time = null) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.Sites.Add(new BeaconSiteOptions { Id = "a.example", TimeZone = "Europe/Berlin" });
                o.Sites.Add(new BeaconSiteOptions { Id = "b.example" });
                o.Sites.Add(new BeaconSiteOptions { Id = "apia.example", TimeZone = "Pacific/Apia" });
            },
            store: b => store is null ? b.UseInMemory() : b.UseStore(_ => store),
            map: map ?? (app =>
            {
                app.UseBeacon();
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api");
                app.MapBeaconErasureApi("/beacon/api", "BeaconAdmin", erasure);
            }),
            services: s =>
            {
                if (time is not null)
                {
                    s.AddSingleton(time);
                }

                s.AddAuthentication("Test").AddScheme<TestUserOptions, TestUserHandler>("Test", o => o.Role = role);
                s.AddAuthorization(o => o.AddPolicy("BeaconAdmin", p => p.RequireRole("admin")));
            });

    private static async Task<List<Hit>> SeedAsync(BeaconTestHost host)
    {
        await host.Store.AppendAsync(Hits(), Ct);
        return await BeaconTestHost.ReadAllAsync(host.Store);
    }

    [Fact]
    public async Task EraseSiteAsync_DeletesEveryHitOfThatSiteOnly()
    {
        var store = new RecordingStore();
        await store.AppendAsync(Hits(), Ct);
        var eraser = new BeaconDataEraser(new ServiceCollection().AddSingleton<IHitStore>(store).BuildServiceProvider(), NullLogger<BeaconDataEraser>.Instance);

        var deleted = await eraser.EraseSiteAsync("a.example", Ct);

        Assert.Equal(3, deleted);
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(store)).Select(h => h.SiteId));
        Assert.True(Assert.Single(store.Purges).IncludeDerivedData);
    }

    [Fact]
    public async Task EraseAsync_WhileThePurgeRuns_TheSiteIsRegisteredAsPurging_AndLeftAfter()
    {
        // The rollup worker leaves a site out of its passes while this holds (HitPurgeRegistry).
        var purges = new HitPurgeRegistry();
        var store = new PurgeHookStore();
        var seen = new List<(bool A, bool B)>();
        store.OnPurge = _ => seen.Add((purges.IsPurging("a.example"), purges.IsPurging("b.example")));
        var eraser = Eraser(store, purges);

        await eraser.EraseSiteAsync("a.example", Ct);

        Assert.Equal([(true, false)], seen);
        Assert.False(purges.Any);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EraseAsync_PurgeFailsOrIsCancelled_LeavesTheRegistry(bool cancelled)
    {
        var purges = new HitPurgeRegistry();
        var store = new PurgeHookStore
        {
            OnPurge = _ => throw (cancelled ? new OperationCanceledException() : new InvalidOperationException("the store failed")),
        };
        var eraser = Eraser(store, purges);

        await Assert.ThrowsAnyAsync<Exception>(async () => await eraser.EraseSiteAsync("a.example", Ct));

        Assert.False(purges.IsPurging("a.example"));
        Assert.False(purges.Any);
    }

    [Fact]
    public async Task AddBeacon_RegistersOnePurgeRegistry_ForTheEraserAndTheRollupWorker()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBeacon().UseSqlite(BeaconTestHost.ConnectionString(BeaconTestHost.NewDatabasePath()));

        await using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(HitPurgeRegistry));
        Assert.Same(provider.GetRequiredService<HitPurgeRegistry>(), provider.GetRequiredService<HitPurgeRegistry>());
    }

    [Fact]
    public async Task EraseAsync_HalfOpenRange_DeletesOnlyHitsInside()
    {
        var store = new InMemoryHitStore();
        await store.AppendAsync(Hits(), Ct);
        var eraser = new BeaconDataEraser(new ServiceCollection().AddSingleton<IHitStore>(store).BuildServiceProvider(), NullLogger<BeaconDataEraser>.Instance);

        var deleted = await eraser.EraseAsync("a.example", Day1.AddDays(1), Day1.AddDays(2), Ct);

        Assert.Equal(1, deleted);
        Assert.Equal(["/1", "/3"], (await BeaconTestHost.ReadAllAsync(store)).Where(h => h.SiteId == "a.example").Select(h => h.Path));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => eraser.EraseAsync("a.example", Day1, Day1, Ct).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => eraser.EraseSiteAsync(" ", Ct).AsTask());
    }

    [Fact]
    public async Task Delete_WithThePolicy_ErasesTheLocalDaysOfTheSite()
    {
        await using var host = await StartAsync("admin");
        await SeedAsync(host);

        using var response = await host.Client.DeleteAsync("/beacon/api/hits?site_id=a.example&from=2026-03-02&to=2026-03-03", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(2, json.RootElement.GetProperty("deleted").GetInt64());
        Assert.Equal(["a.example:/1", "b.example:/1"], (await BeaconTestHost.ReadAllAsync(host.Store)).Select(h => h.SiteId + ":" + h.Path).Order(StringComparer.Ordinal));
    }

    /// <summary>A day the site's zone skipped has no instant: nothing is erased, and the answer says so (was a 500).</summary>
    [Fact]
    public async Task Delete_OnlyADayTheZoneSkipped_Answers200WithNothingDeleted()
    {
        await using var host = await StartAsync("admin");
        await host.Store.AppendAsync([new Hit { SiteId = "apia.example", Path = "/", Timestamp = new DateTimeOffset(2011, 12, 29, 12, 0, 0, TimeSpan.Zero) }], Ct);

        using var response = await host.Client.DeleteAsync("/beacon/api/hits?site_id=apia.example&from=2011-12-30&to=2011-12-30", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(0, json.RootElement.GetProperty("deleted").GetInt64());
        Assert.Single(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Theory]
    [InlineData]
    [InlineData("same-origin")]
    [InlineData("SAME-ORIGIN")]
    [InlineData("none")]
    public async Task Delete_WholeSite_ErasesEverythingOfIt(params string[] fetchSite)
    {
        await using var host = await StartAsync("admin");
        await SeedAsync(host);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/beacon/api/hits?site_id=b.example");
        if (fetchSite.Length > 0)
        {
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
        }

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(await BeaconTestHost.ReadAllAsync(host.Store), h => h.SiteId == "b.example");
        Assert.Equal(3, (await BeaconTestHost.ReadAllAsync(host.Store)).Count);
    }

    [Theory]
    [InlineData(null, "/beacon/api/hits?site_id=a.example", HttpStatusCode.Unauthorized)]
    [InlineData("reader", "/beacon/api/hits?site_id=a.example", HttpStatusCode.Forbidden)]
    [InlineData("admin", "/beacon/api/hits", HttpStatusCode.BadRequest)]
    [InlineData("admin", "/beacon/api/hits?site_id=unknown.example", HttpStatusCode.NotFound)]
    [InlineData("admin", "/beacon/api/hits?site_id=a.example&from=yesterday", HttpStatusCode.BadRequest)]
    [InlineData("admin", "/beacon/api/hits?site_id=a.example&from=2026-03-05&to=2026-03-01", HttpStatusCode.BadRequest)]
    [InlineData("admin", "/beacon/api/hits?site_id=a.example&to=9999-12-31", HttpStatusCode.BadRequest)]
    public async Task Delete_RefusedRequests_EraseNothing(string? role, string url, HttpStatusCode expected)
    {
        await using var host = await StartAsync(role);
        await SeedAsync(host);

        using var response = await host.Client.DeleteAsync(url, Ct);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(4, (await BeaconTestHost.ReadAllAsync(host.Store)).Count);
    }

    /// <summary>
    /// Cross-site and same-site requests are refused, also written in another case or hidden in a list or a second
    /// header line (the joined value "same-origin,cross-site" passed an exact comparison).
    /// </summary>
    [Theory]
    [InlineData("cross-site")]
    [InlineData("same-site")]
    [InlineData("Cross-Site")]
    [InlineData("same-origin", "cross-site")]
    [InlineData("same-origin, same-site")]
    [InlineData("unknown")]
    public async Task Delete_CrossSiteBrowserRequest_IsRefused(params string[] fetchSite)
    {
        await using var host = await StartAsync("admin");
        await SeedAsync(host);
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/beacon/api/hits?site_id=a.example");
        request.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(4, (await BeaconTestHost.ReadAllAsync(host.Store)).Count);
    }

    [Fact]
    public async Task MapBeaconApi_Alone_HasNoErasureEndpoint_EvenForLoopback()
    {
        await using var host = await StartAsync("admin", app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapBeaconDashboard("/beacon");
        });
        await SeedAsync(host);

        using var response = await host.Client.DeleteAsync("/beacon/api/hits?site_id=a.example", Ct);

        Assert.True(response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, response.StatusCode.ToString());
        Assert.Equal(4, (await BeaconTestHost.ReadAllAsync(host.Store)).Count);
    }

    [Fact]
    public async Task Erase_HitsAcceptedButNotYetStored_AreStoredFirstAndErasedWithTheRest()
    {
        // The store is slow (a backlog, a batch being retried): the beacon has answered these hits, the writer has
        // not stored them yet. The erasure must cover them, not purge first and let them be written after it.
        var gate = new BlockingHitStore();
        await gate.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: gate);
        for (var i = 0; i < 5; i++)
        {
            using var hit = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://a.example/queued{i}"), Ct);
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        using var other = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://b.example/kept"), Ct);
        var eraser = host.Services.GetRequiredService<IBeaconDataEraser>();

        var erasing = eraser.EraseSiteAsync("a.example", Ct).AsTask();
        try
        {
            await Task.Delay(300, Ct);
            Assert.False(erasing.IsCompleted, "the erasure purged while accepted hits were still waiting to be stored");
            Assert.Equal(4, gate.Inner.Count);
        }
        finally
        {
            gate.Release();
        }

        var deleted = await erasing.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(3 + 5, deleted);
        var left = await BeaconTestHost.ReadAllAsync(gate.Inner);
        Assert.DoesNotContain(left, h => h.SiteId == "a.example");
        Assert.Equal(["/1", "/kept"], left.Select(h => h.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Erase_NothingQueued_TheWriterAnswersTheFlushAtOnce()
    {
        await using var host = await StartAsync("admin");
        await SeedAsync(host);
        var eraser = (BeaconDataEraser)host.Services.GetRequiredService<IBeaconDataEraser>();
        eraser.WriteTimeout = TimeSpan.FromSeconds(5); // a flush marker the idle writer never answered would throw

        for (var i = 0; i < 3; i++)
        {
            await eraser.EraseAsync("a.example", Day1.AddDays(i), Day1.AddDays(i + 1), Ct);
        }

        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(host.Store)).Select(h => h.SiteId));
    }

    [Fact]
    public async Task Delete_StoreCannotTakeTheQueuedHits_Answers503AndErasesNothing()
    {
        var gate = new BlockingHitStore();
        await gate.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: gate);
        ((BeaconDataEraser)host.Services.GetRequiredService<IBeaconDataEraser>()).WriteTimeout = TimeSpan.FromMilliseconds(300);
        using (var hit = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://a.example/queued"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        try
        {
            using var response = await host.Client.DeleteAsync("/beacon/api/hits?site_id=a.example", Ct);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("5", response.Headers.RetryAfter?.ToString());
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal("store", json.RootElement.GetProperty("field").GetString());
            Assert.Equal(4, gate.Inner.Count); // nothing deleted
        }
        finally
        {
            gate.Release();
        }

        await host.WaitForHitsAsync(5);
        Assert.Equal(3 + 1, (await BeaconTestHost.ReadAllAsync(gate.Inner)).Count(h => h.SiteId == "a.example"));
    }

    [Fact]
    public async Task Erase_BeaconStopsBeforeTheQueuedHitsAreStored_ThrowsInsteadOfPurgingOrHanging()
    {
        var gate = new BlockingHitStore(); // never released: the store is down until the app stops
        await gate.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: gate);
        using (var hit = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://a.example/queued"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        var erasing = host.Services.GetRequiredService<IBeaconDataEraser>().EraseSiteAsync("a.example", Ct).AsTask();
        using (var shutdown = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
        {
            await host.App.StopAsync(shutdown.Token); // the writer gives up on the stalled batch when the stop times out
        }

        var error = await Assert.ThrowsAsync<TimeoutException>(() => erasing.WaitAsync(TimeSpan.FromSeconds(20), Ct));
        Assert.Contains("stopped", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, gate.Inner.Count); // nothing purged
    }

    [Fact]
    public async Task Erase_WhileTheBeaconStops_WaitsForTheFinalDrainThenErasesWhatItWrote()
    {
        // The queue is closed (the app is stopping) and its last hits are still being written: no flush marker can be
        // queued any more, so the erasure waits for the writer's final drain instead of purging before it.
        var gate = new BlockingHitStore();
        await gate.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: gate);
        using (var hit = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://a.example/queued"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
        }

        var queue = host.Services.GetRequiredService<HitQueue>();
        var eraser = host.Services.GetRequiredService<IBeaconDataEraser>();
        var stopping = host.App.StopAsync(CancellationToken.None);
        Task<long> erasing;
        try
        {
            await WaitAsync(() => queue.IsCompleted);
            erasing = eraser.EraseSiteAsync("a.example", Ct).AsTask();
            await Task.Delay(300, Ct);
            Assert.False(erasing.IsCompleted, "the erasure purged before the final drain stored the queued hit");
        }
        finally
        {
            gate.Release();
        }

        Assert.Equal(3 + 1, await erasing.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(gate.Inner)).Select(h => h.SiteId));
    }

    [Fact]
    public async Task Delete_ClientGivesUp_ThePurgeRunsOnAndDeletes()
    {
        // A proxy's timeout or a client that stops waiting aborts the request: the erasure must not stop with it.
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store);
        using var client = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var request = host.Client.DeleteAsync("/beacon/api/hits?site_id=a.example", client.Token);
        await store.Entered.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        await client.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        store.Release();

        await WaitAsync(() => store.Inner.Count == 1);
        Assert.False(store.Cancelled.IsCompleted, "the client's abort cancelled the purge");
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(store.Inner)).Select(h => h.SiteId));
    }

    [Fact]
    public async Task Delete_PurgeOutlastsAnswerWithin_Answers202_AndARepeatJoinsIt()
    {
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        try
        {
            using var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example&from=2026-03-01");
            await store.Entered.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            using var repeat = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example&from=2026-03-01");

            foreach (var response in new[] { first, repeat })
            {
                Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
                Assert.Equal("5", response.Headers.RetryAfter?.ToString());
                Assert.Equal(first.Headers.Location, response.Headers.Location); // the same erasure, joined
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
                Assert.Equal("/beacon/api/erasures/" + json.RootElement.GetProperty("id").GetString(), response.Headers.Location?.ToString());
                Assert.Equal("running", json.RootElement.GetProperty("status").GetString());
                Assert.Equal("a.example", json.RootElement.GetProperty("site_id").GetString());
                Assert.Equal("2026-03-01", json.RootElement.GetProperty("from").GetString());
                Assert.False(json.RootElement.TryGetProperty("deleted", out _));
            }

            Assert.Equal(1, store.Purges);
            Assert.Equal(4, store.Inner.Count);
        }
        finally
        {
            store.Release();
        }
    }

    [Fact]
    public async Task Delete_Answered202_TheLocationReportsTheErasure_UntilItSucceedsWithItsTotal()
    {
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        using var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example&from=2026-03-01");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var location = first.Headers.Location!.ToString();
        await store.Entered.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        using (var running = await GetAsync(host, location))
        {
            Assert.Equal(HttpStatusCode.OK, running.StatusCode);
            Assert.Equal("5", running.Headers.RetryAfter?.ToString());
            Assert.Equal("no-store", running.Headers.CacheControl?.ToString());
            using var json = JsonDocument.Parse(await running.Content.ReadAsStringAsync(Ct));
            Assert.Equal("running", json.RootElement.GetProperty("status").GetString());
            Assert.Equal("2026-03-01", json.RootElement.GetProperty("from").GetString());
            Assert.False(json.RootElement.TryGetProperty("deleted", out _));
        }

        store.Release();
        var done = await PollAsync(host, location);

        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(3, done.GetProperty("deleted").GetInt64());
        Assert.Equal("a.example", done.GetProperty("site_id").GetString());
        Assert.Equal(1, store.Purges);
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(store.Inner)).Select(h => h.SiteId));
    }

    [Fact]
    public async Task Delete_RepeatedAfterAnErasureAnswered202Ended_ErasesAgain_WithTheHitsAcceptedMeanwhile()
    {
        // A repeat used to be answered the remembered total for 10 minutes without purging, so a hit of the range that
        // arrived after the first erasure stayed.
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        using var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        store.Release();
        Assert.Equal(3, (await PollAsync(host, first.Headers.Location!.ToString())).GetProperty("deleted").GetInt64());
        await store.Inner.AppendAsync([new Hit { SiteId = "a.example", Path = "/late", Timestamp = Day1.AddDays(3) }], Ct);

        using var again = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example");
        var deleted = again.StatusCode == HttpStatusCode.Accepted
            ? (await PollAsync(host, again.Headers.Location!.ToString())).GetProperty("deleted").GetInt64()
            : JsonDocument.Parse(await again.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("deleted").GetInt64();

        Assert.Equal(1, deleted);
        Assert.NotEqual(first.Headers.Location, again.Headers.Location);
        Assert.Equal(2, store.Purges);
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(store.Inner)).Select(h => h.SiteId));
    }

    [Fact]
    public async Task Status_ForgottenAfterRememberFor_UnknownOrMalformedId_Answers404()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero, time: time);
        using var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example");
        var location = first.Headers.Location!.ToString();
        store.Release();
        Assert.Equal("succeeded", (await PollAsync(host, location)).GetProperty("status").GetString());

        time.Advance(ErasureRunner.RememberFor + TimeSpan.FromSeconds(1));

        foreach (var url in new[] { location, "/beacon/api/erasures/" + Guid.NewGuid().ToString("N"), "/beacon/api/erasures/nope" })
        {
            using var response = await GetAsync(host, url);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            Assert.Equal("id", json.RootElement.GetProperty("field").GetString());
        }
    }

    [Fact]
    public async Task Delete_PatternWithoutLeadingSlash_LocationIsBesideTheRequestsPath()
    {
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, map: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapBeaconErasureApi("beacon/api/", "BeaconAdmin", o => o.AnswerWithin = TimeSpan.Zero);
        });

        using var first = await DeleteAsync(host, "/beacon/api/hits/?site_id=a.example");
        store.Release();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.StartsWith("/beacon/api/erasures/", first.Headers.Location?.ToString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", (await PollAsync(host, first.Headers.Location!.ToString())).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Status_WithoutThePolicy_IsRefused()
    {
        var store = new SlowPurgeHitStore();
        await using var admin = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        await using var viewer = await StartAsync("viewer", store: store);
        using var first = await DeleteAsync(admin, "/beacon/api/hits?site_id=a.example");
        store.Release();

        using var refused = await GetAsync(viewer, first.Headers.Location!.ToString());

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Delete_OtherRangeOfTheSiteWhileOneRuns_WaitsForItsTurn()
    {
        var store = new SlowPurgeHitStore();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        using (var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example&to=2026-03-01"))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        await store.Entered.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        string location;
        using (var other = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example&from=2026-03-02"))
        {
            Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
            using var json = JsonDocument.Parse(await other.Content.ReadAsStringAsync(Ct));
            Assert.Equal("queued", json.RootElement.GetProperty("status").GetString());
            Assert.Equal(1, store.Purges);
            location = other.Headers.Location!.ToString();
        }

        store.Release();
        var done = await PollAsync(host, location);

        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(2, store.Purges);
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(store.Inner)).Select(h => h.SiteId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Delete_PurgeFailedAfter202_TheStatusSaysFailed_AndTheNextDeleteRunsItAgain(bool storeDown)
    {
        var store = new SlowPurgeHitStore
        {
            FailOnce = storeDown ? new TimeoutException("The store did not answer.") : new InvalidOperationException("Something else broke."),
        };
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        using var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);

        store.Release();
        var failed = await PollAsync(host, first.Headers.Location!.ToString());

        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains(storeDown ? "did not answer in time" : "InvalidOperationException", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Something else broke", failed.GetProperty("error").GetString(), StringComparison.Ordinal);

        using var again = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example");
        Assert.Equal("succeeded", (await PollAsync(host, again.Headers.Location!.ToString())).GetProperty("status").GetString());
        Assert.Equal(2, store.Purges);
        Assert.Equal(["b.example"], (await BeaconTestHost.ReadAllAsync(store.Inner)).Select(h => h.SiteId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Delete_PurgeFailsWhileTheRequestWaits_503ForAnOutage_Else500WithAJsonError(bool storeDown)
    {
        var store = new SlowPurgeHitStore
        {
            FailOnce = storeDown ? new TimeoutException("The store did not answer.") : new InvalidOperationException("Something else broke."),
        };
        store.Release();
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store);

        using var response = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example");

        Assert.Equal(storeDown ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(storeDown, response.Headers.RetryAfter is not null);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("store", json.RootElement.GetProperty("field").GetString());
        Assert.Contains("part of the range may be deleted", json.RootElement.GetProperty("error").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Something else broke", json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_AppStopsWhileThePurgeRuns_CancelsIt()
    {
        var store = new SlowPurgeHitStore(); // never released
        await store.Inner.AppendAsync(Hits(), Ct);
        await using var host = await StartAsync("admin", store: store, erasure: o => o.AnswerWithin = TimeSpan.Zero);
        using (var first = await DeleteAsync(host, "/beacon/api/hits?site_id=a.example"))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        await store.Entered.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        await host.App.StopAsync(Ct);

        Assert.True(store.Cancelled.IsCompleted, "the app stopped and the purge still runs");
        Assert.Equal(4, store.Inner.Count);
    }

    [Fact]
    public void MapBeaconErasureApi_AnswerWithinOutOfRange_Throws()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddBeacon().UseInMemory();
        using var app = builder.Build();

        Assert.Throws<ArgumentOutOfRangeException>(() => app.MapBeaconErasureApi("/beacon/api", "BeaconAdmin", o => o.AnswerWithin = TimeSpan.FromSeconds(-1)));
    }

    /// <summary>A DELETE that fails the test instead of hanging when the endpoint waits for the purge.</summary>
    private static async Task<HttpResponseMessage> DeleteAsync(BeaconTestHost host, string url)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        return await host.Client.DeleteAsync(url, bounded.Token);
    }

    /// <summary>A GET that fails the test instead of hanging.</summary>
    private static async Task<HttpResponseMessage> GetAsync(BeaconTestHost host, string url)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(10));
        return await host.Client.GetAsync(url, bounded.Token);
    }

    /// <summary>Polls an erasure's status resource while it is queued or running, as a client of the protocol does (bounded).</summary>
    private static async Task<JsonElement> PollAsync(BeaconTestHost host, string location)
    {
        for (var i = 0; i < 500; i++)
        {
            using var response = await GetAsync(host, location);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            if (json.RootElement.GetProperty("status").GetString() is not ("queued" or "running"))
            {
                return json.RootElement.Clone();
            }

            await Task.Delay(10, Ct);
        }

        throw new TimeoutException("the erasure was still queued or running after 500 polls");
    }

    [Fact]
    public void MapBeaconErasureApi_WithoutPolicy_Throws()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddBeacon().UseInMemory();
        using var app = builder.Build();

        Assert.Throws<ArgumentException>(() => app.MapBeaconErasureApi("/beacon/api", " "));
    }

    [Fact]
    public async Task Retention_BackgroundLoop_PurgesAfterStartAndThenHourly_KeepingDerivedData()
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(now);
        var store = new RecordingStore();
        await store.AppendAsync([new Hit { SiteId = "a", Path = "/old", Timestamp = now.AddDays(-31) }, new Hit { SiteId = "a", Path = "/new", Timestamp = now.AddDays(-1) }], Ct);
        var services = new ServiceCollection().AddSingleton<IHitStore>(store).BuildServiceProvider();
        using var retention = new RetentionService(services, Options.Create(new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(30), RollupRetentionPeriod = TimeSpan.Zero }), time, NullLogger<RetentionService>.Instance);

        await retention.StartAsync(Ct);
        // ExecuteAsync starts on another thread: step the clock until its first delay (10 s) has run out.
        for (var step = 0; step < 100 && store.Purges.Count < 1; step++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20, Ct);
        }

        await WaitAsync(() => store.Purges.Count == 1);
        await store.AppendAsync([new Hit { SiteId = "b", Path = "/aged", Timestamp = now.AddDays(-30).AddMinutes(30) }], Ct);
        // The next round, an hour later (advanced hour by hour, so the loop's delay is registered whenever it gets there).
        for (var hour = 0; hour < 5 && store.Purges.Count < 2; hour++)
        {
            time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(20, Ct);
        }

        await WaitAsync(() => store.Purges.Count >= 2);
        await retention.StopAsync(Ct);

        Assert.Equal(["/new"], (await BeaconTestHost.ReadAllAsync(store)).Select(h => h.Path));
        Assert.All(store.Purges, p => Assert.False(p.IncludeDerivedData));
        Assert.All(store.Purges, p => Assert.Null(p.SiteId));
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition());
    }

    /// <summary>The reference store, remembering every purge range.</summary>
    private static BeaconDataEraser Eraser(IHitStore store, HitPurgeRegistry purges) =>
        new(new ServiceCollection().AddSingleton(store).AddSingleton(purges).BuildServiceProvider(), NullLogger<BeaconDataEraser>.Instance);

    private sealed class RecordingStore : IHitStore
    {
        private readonly InMemoryHitStore _inner = new();

        public List<HitRange> Purges { get; } = [];

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => _inner.AppendAsync(hits, cancellationToken);

        public ValueTask<Querying.AggregateResult> QueryAsync(Querying.HitQuery query, CancellationToken cancellationToken) => _inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => _inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
        {
            lock (Purges)
            {
                Purges.Add(range);
            }

            return _inner.PurgeAsync(range, cancellationToken);
        }
    }
}
