// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// An erasure deletes the hits in one statement and the rollup rows of their days after it, in another transaction: if
/// that second step fails (a timeout on a large site, a lost connection), the days must not be answered from rollup rows
/// that still count the erased hits. The purge marks the deleted hits' hours dirty and overdue in its own statement
/// (as the SQLite store's chunks do), so those days are answered from the raw hits left and rebuilt by the next pass.
/// </summary>
public sealed class PostgreSqlPurgeMarksTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly DateOnly LastDay = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { ["example.com"] = Zone };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PurgeAsync_RollupDeletionFailsAfterTheHitsAreGone_AnswersLeaveTheErasedHitsOut()
    {
        var schema = await fixture.PrepareSchemaAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        // Dirty days answered from their stored rows (a lag of an hour): only the purge's overdue marks keep erased hits out.
        await using var store = new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = fixture.ConnectionString!, Schema = schema, MaxRollupLag = TimeSpan.FromHours(1) });
        await using var raw = new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = fixture.ConnectionString!, Schema = schema, EnableRollups = false });
        await store.MigrateAsync(Ct);
        var hits = new RealisticHitGenerator(300) { SiteId = "example.com", TimeZone = Zone, Seed = 41 }.Generate(1_500, 3, LastDay).ToList();
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        // From the middle of one day to the middle of the next: both days keep part of their hits.
        var erased = new HitRange
        {
            SiteId = "example.com",
            From = TimeZoneSegments.StartOfDay(LastDay.AddDays(-1), Zone).AddHours(13),
            To = TimeZoneSegments.StartOfDay(LastDay, Zone).AddHours(11),
            IncludeDerivedData = true,
        };
        Assert.Empty(await MismatchesAsync(store, raw));

        store.OnHitsPurged = () => throw new InvalidOperationException("the rollup rows' deletion fails");
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.PurgeAsync(erased, Ct));

        await foreach (var left in raw.ReadAsync(erased, Ct))
        {
            Assert.Fail($"hit {left.Id} of the erased range is still stored");
        }

        Assert.Empty(await MismatchesAsync(store, raw));
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await MismatchesAsync(store, raw));

        // Run again, as a failed erasure is: the rest (the rollup rows) goes, and the answers stay the raw path's.
        store.OnHitsPurged = null;
        Assert.Equal(0, await store.PurgeAsync(erased, Ct));
        Assert.Empty(await MismatchesAsync(store, raw));
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await MismatchesAsync(store, raw));
    }

    [Fact]
    public async Task ForgetUpkeepMarksAsync_TwoPurgesAtOnce_BothCommitAndTheEpochMovesTwice()
    {
        // Two erasures of two sites run at once (ErasureRunner.MaxRunning). Each purge deleted every upkeep mark and
        // inserted the epoch it had read plus one: the second, blocked on the first's delete, then inserted the same key
        // and failed with 23505 (a 500 or 503 to the erasure request, the hits of the second site kept).
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var schema = store.Schema;
        await using (var first = await fixture.DataSource.OpenConnectionAsync(Ct))
        {
            await store.Rollups.ForgetUpkeepMarksAsync(first, null, Ct); // an epoch row to begin with
        }

        await using var one = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var two = await fixture.DataSource.OpenConnectionAsync(Ct);
        await using var oneTransaction = await one.BeginTransactionAsync(Ct);
        await store.Rollups.ForgetUpkeepMarksAsync(one, oneTransaction, Ct);
        var twoPid = two.ProcessID;
        var second = Task.Run(
            async () =>
            {
                await using var transaction = await two.BeginTransactionAsync(Ct);
                await store.Rollups.ForgetUpkeepMarksAsync(two, transaction, Ct);
                await transaction.CommitAsync(Ct);
            },
            Ct);
        await WaitUntilBlockedAsync(twoPid);
        await oneTransaction.CommitAsync(Ct);
        await second;

        await using var command = fixture.DataSource.CreateCommand($"SELECT seq FROM \"{schema}\".rollup_upkeep WHERE site_id = '' AND day = {long.MinValue}");
        Assert.Equal(3L, (long)(await command.ExecuteScalarAsync(Ct))!);
    }

    private async Task WaitUntilBlockedAsync(int pid)
    {
        await using var command = fixture.DataSource.CreateCommand("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'");
        command.Parameters.Add(new Npgsql.NpgsqlParameter<int> { TypedValue = pid });
        while ((long)(await command.ExecuteScalarAsync(Ct))! == 0)
        {
            await Task.Delay(10, Ct);
        }
    }

    private static Task<List<string>> MismatchesAsync(PostgreSqlHitStore store, PostgreSqlHitStore raw) =>
        RollupAnswerChecks.MismatchesAsync(store, raw, "example.com", Zone, LastDay, Ct);
}
