// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Sql;
using FrancisBeacon.Storage;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// The raw path's session statement (a chain of CTEs) runs with the dialect's session settings: on a freshly loaded
/// table PostgreSQL estimates the range at a row or two and every CTE above it at as few, and with nested loops it
/// joined each hit to every session again for a behavioural filter (31 s for 5 000 hits; docs/performance.md, "The raw
/// path's session statements"). The plans are read from <c>auto_explain</c>, sent to the client as notices.
/// </summary>
public sealed class PostgreSqlRawSessionStatementTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ExecuteAsync_SessionStatementOnAFreshTable_PlansNoNestedLoopAndResetsTheSettings()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var hits = TestHits.Generate(800, seed: 20261130, siteCount: 1);
        await store.AppendAsync(hits, Ct);
        var reference = new InMemoryHitStore();
        await reference.AppendAsync(hits, Ct);
        var statement = new HitQuerySql(PostgreSqlDialect.Instance, new PostgreSqlSql(store.Schema).Hits);

        await using var connection = await fixture.DataSource.OpenConnectionAsync(Ct);
        var plans = new List<string>();
        connection.Notice += (_, e) => plans.Add(e.Notice.MessageText);
        await using (var explain = new NpgsqlCommand("LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET client_min_messages = log", connection))
        {
            await explain.ExecuteNonQueryAsync(Ct);
        }

        var exitPage = new HitFilterCondition(HitFilterOperator.Contains, HitDimension.ExitPage, ["/blog/", "a"]) { IgnoreCase = true };
        HitQuery[] queries =
        [
            Query(HitFilter.HasNotDone(HitFilter.Not(exitPage)), HitDimension.EventName),
            Query(HitFilter.HasDone(HitFilter.Is(HitDimension.Page, TestHits.Paths[0])), HitDimension.Source),
            Query(HitFilter.Not(exitPage), HitDimension.Day) with { Metrics = [HitMetric.Visits, HitMetric.BounceRate] },
        ];
        foreach (var query in queries)
        {
            plans.Clear();
            var answer = await statement.ExecuteAsync(connection, query, Ct);
            Assert.Equal(await reference.QueryAsync(query, Ct), answer);
            var plan = Assert.Single(plans, p => p.Contains("sessions0", StringComparison.Ordinal));
            Assert.Contains("Hash", plan, StringComparison.Ordinal);
            Assert.DoesNotContain("Nested Loop", plan, StringComparison.Ordinal);
            await using var show = new NpgsqlCommand("SHOW enable_nestloop", connection);
            Assert.Equal("on", await show.ExecuteScalarAsync(Ct));
        }
    }

    private static HitQuery Query(HitFilter filter, HitDimension dimension) => new()
    {
        SiteId = TestHits.Sites[0],
        From = TestHits.SpringStart,
        To = TestHits.AutumnEnd,
        Dimensions = [dimension],
        Metrics = [HitMetric.Visitors, HitMetric.Pageviews],
        Filter = filter,
    };
}
