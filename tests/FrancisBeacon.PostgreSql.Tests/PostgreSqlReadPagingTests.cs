// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// A site's <see cref="PostgreSqlHitStore.ReadAsync"/> (the export) reads a page at a time and gives its connection back
/// between pages: about a hundred exports read slowly by their clients held every connection of the pool (session 18's
/// probe), so queries and health checks failed.
/// </summary>
public sealed class PostgreSqlReadPagingTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadAsync_OneSitePausedBetweenHits_LeavesThePoolsLastConnectionFree()
    {
        var schema = await fixture.PrepareSchemaAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        // Two connections: the store keeps one for its appends (their temporary table), which leaves one for the rest.
        var connection = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { MaxPoolSize = 2, Timeout = 3 };
        await using var store = new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = connection.ConnectionString, Schema = schema, MaxRollupLag = TimeSpan.Zero });
        await store.MigrateAsync(Ct);
        store.ReadPageSize = 4;
        var hits = TestHits.Generate(60, seed: 7, siteCount: 1);
        await store.AppendAsync(hits, Ct);
        var reference = new InMemoryHitStore();
        await reference.AppendAsync(hits, Ct);
        var site = new HitRange { SiteId = TestHits.Sites[0] };
        var query = new HitQuery { SiteId = TestHits.Sites[0], From = TestHits.SpringStart, To = TestHits.AutumnEnd, Metrics = [HitMetric.Visitors, HitMetric.Visits] };

        var read = new List<Hit>();
        await using (var reading = store.ReadAsync(site, Ct).GetAsyncEnumerator(Ct))
        {
            while (await reading.MoveNextAsync())
            {
                read.Add(reading.Current);
                if (read.Count % 7 == 1)
                {
                    // The reader is paused in the middle of a page: the pool's last connection answers a query meanwhile
                    // (held by the reader, the query would wait 3 s for it and fail).
                    Assert.Equal(await reference.QueryAsync(query, Ct), await store.QueryAsync(query, Ct));
                }
            }
        }

        var expected = new List<Hit>();
        await foreach (var hit in reference.ReadAsync(site, Ct))
        {
            expected.Add(hit);
        }

        Assert.Equal(expected.Select(h => h.Id), read.Select(h => h.Id));
    }
}
