// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>The daily visitor-id salts (<see cref="IVisitorSaltStore"/>) on a real server.</summary>
public sealed class PostgreSqlHitStoreSaltTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateOnly Day = new(2025, 3, 30);

    [Fact]
    public async Task GetOrAddSaltAsync_SecondCandidate_GetsTheFirstBack()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var first = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var second = Enumerable.Range(0, 32).Select(i => (byte)(255 - i)).ToArray();

        var stored = await store.GetOrAddSaltAsync(Day, first, Ct);
        var again = await store.GetOrAddSaltAsync(Day, second, Ct);
        var nextDay = await store.GetOrAddSaltAsync(Day.AddDays(1), second, Ct);

        Assert.Equal(first, stored);
        Assert.Equal(first, again);
        Assert.Equal(second, nextDay);
    }

    [Fact]
    public async Task GetOrAddSaltAsync_RacingInstances_AllGetTheOneWinner()
    {
        var key = PostgreSqlFixture.NewIsolationKey();
        var migrated = await fixture.CreatePostgreSqlStoreAsync(key, Ct);
        await migrated.MigrateAsync(Ct);
        var dataSources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(fixture.ConnectionString!)).ToList();
        try
        {
            var stores = dataSources.Select(ds => new PostgreSqlHitStore(ds, new PostgreSqlHitStoreOptions { Schema = migrated.Schema })).ToList();
            using var start = new ManualResetEventSlim();
            var racers = Enumerable.Range(0, 16).Select(i => Task.Run(
                async () =>
                {
                    start.Wait(Ct);
                    var candidate = Enumerable.Repeat((byte)i, 32).ToArray();
                    return await stores[i % stores.Count].GetOrAddSaltAsync(Day, candidate, Ct);
                },
                Ct)).ToList();
            start.Set();

            var salts = await Task.WhenAll(racers);

            Assert.Single(salts.Select(Convert.ToHexString).Distinct());
            Assert.Equal(1L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{migrated.Schema}\".salts", Ct));
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task DeleteSaltsBeforeAsync_DeletesOnlyEarlierDays()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        for (var i = -3; i <= 1; i++)
        {
            await store.GetOrAddSaltAsync(Day.AddDays(i), new byte[32], Ct);
        }

        Assert.Equal(3, await store.DeleteSaltsBeforeAsync(Day, Ct));
        Assert.Equal(0, await store.DeleteSaltsBeforeAsync(Day, Ct));
        Assert.Equal(2L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".salts", Ct));
    }

    [Fact]
    public async Task SaltMethods_PreCancelledToken_ThrowOperationCanceled()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetOrAddSaltAsync(Day, new byte[32], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.DeleteSaltsBeforeAsync(Day, cancelled.Token));
    }
}
