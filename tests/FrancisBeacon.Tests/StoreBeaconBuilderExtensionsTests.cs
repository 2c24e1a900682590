// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FrancisBeacon.Tests;

public sealed class StoreBeaconBuilderExtensionsTests
{
    [Fact]
    public void UseInMemory_Once_RegistersOneSingletonStore()
    {
        var builder = new TestBeaconBuilder();

        builder.UseInMemory();

        using var provider = builder.Services.BuildServiceProvider();
        var store = provider.GetRequiredService<IHitStore>();
        Assert.IsType<InMemoryHitStore>(store);
        Assert.Same(store, provider.GetRequiredService<IHitStore>());
        Assert.Equal(ServiceLifetime.Singleton, Assert.Single(builder.Services, d => d.ServiceType == typeof(IHitStore)).Lifetime);
    }

    [Fact]
    public void UseStore_Generic_ResolvesTheSameInstanceAsStoreAndAsType()
    {
        var builder = new TestBeaconBuilder();

        builder.UseStore<CustomStore>();

        using var provider = builder.Services.BuildServiceProvider();
        var store = provider.GetRequiredService<IHitStore>();
        Assert.IsType<CustomStore>(store);
        Assert.Same(provider.GetRequiredService<CustomStore>(), store);
    }

    [Fact]
    public void UseStore_Factory_CallsItOnce()
    {
        var builder = new TestBeaconBuilder();
        var calls = 0;

        builder.UseStore(_ =>
        {
            calls++;
            return new InMemoryHitStore();
        });

        using var provider = builder.Services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredService<IHitStore>(), provider.GetRequiredService<IHitStore>());
        Assert.Equal(1, calls);
    }

    [Fact]
    public void UseStore_SecondStoreRegistration_Throws()
    {
        var builder = new TestBeaconBuilder();
        builder.UseInMemory();

        var error = Assert.Throws<InvalidOperationException>(() => builder.UseStore<CustomStore>());

        Assert.Equal(
            "An IHitStore is already registered. Call exactly one of UseSqlite, UsePostgreSql, UseInMemory or UseStore on AddBeacon().",
            error.Message);
        Assert.Single(builder.Services, d => d.ServiceType == typeof(IHitStore));
    }

    [Fact]
    public void UseInMemory_Twice_Throws()
    {
        var builder = new TestBeaconBuilder();
        builder.UseInMemory();

        Assert.Throws<InvalidOperationException>(builder.UseInMemory);
    }

    [Fact]
    public void UseStore_FactoryAfterGeneric_Throws()
    {
        var builder = new TestBeaconBuilder();
        builder.UseStore<CustomStore>();

        Assert.Throws<InvalidOperationException>(() => builder.UseStore(_ => new InMemoryHitStore()));
    }

    [Fact]
    public void UseStore_StoreRegisteredOutsideTheBuilder_Throws()
    {
        var builder = new TestBeaconBuilder();
        builder.Services.AddSingleton<IHitStore, InMemoryHitStore>();

        Assert.Throws<InvalidOperationException>(builder.UseInMemory);
    }

    [Fact]
    public void AddSchemaInitializer_RegistersAHostedService()
    {
        var builder = new TestBeaconBuilder();

        builder.UseInMemory().AddSchemaInitializer(_ => SchemaMode.Migrate);

        Assert.Single(builder.Services, d => d.ServiceType == typeof(IHostedService));
    }

    private sealed class TestBeaconBuilder : IBeaconBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }

    private sealed class CustomStore : IHitStore
    {
        private readonly InMemoryHitStore _inner = new();

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => _inner.AppendAsync(hits, cancellationToken);

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => _inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => _inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => _inner.PurgeAsync(range, cancellationToken);
    }
}
