// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// Registration through <see cref="IBeaconBuilder"/>. <c>AddBeacon</c> lives in FrancisBeacon.AspNetCore, so these
/// tests use a minimal builder over a plain <see cref="ServiceCollection"/>.
/// </summary>
public sealed class PostgreSqlBeaconBuilderExtensionsTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task UsePostgreSql_ConnectionString_RegistersOneSingletonStoreInSchemaBeacon()
    {
        var builder = NewBuilder();

        builder.UsePostgreSql("Host=127.0.0.1;Port=1;Timeout=1");

        await using var provider = builder.Services.BuildServiceProvider(validateScopes: true);
        provider.GetRequiredService<IStartupValidator>().Validate();
        var store = Assert.IsType<PostgreSqlHitStore>(provider.GetRequiredService<IHitStore>());
        Assert.Same(store, provider.GetRequiredService<IHitStore>());
        Assert.Equal("beacon", store.Schema);
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is HitStoreSchemaInitializer);
        Assert.Equal(ServiceLifetime.Singleton, builder.Services.Single(d => d.ServiceType == typeof(IHitStore)).Lifetime);
    }

    [Fact]
    public async Task UsePostgreSql_Configure_AppliesOptions()
    {
        var builder = NewBuilder();

        builder.UsePostgreSql(o =>
        {
            o.ConnectionString = "Host=127.0.0.1;Port=1;Timeout=1";
            o.Schema = "analytics";
            o.SchemaMode = SchemaMode.None;
        });

        await using var provider = builder.Services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.Equal("analytics", Assert.IsType<PostgreSqlHitStore>(provider.GetRequiredService<IHitStore>()).Schema);
        Assert.Equal(SchemaMode.None, provider.GetRequiredService<IOptions<PostgreSqlHitStoreOptions>>().Value.SchemaMode);
    }

    [Theory]
    [InlineData("Bad-Schema", "Schema")]
    [InlineData("pg_catalog", "Schema")]
    [InlineData("", "Schema")]
    public async Task UsePostgreSql_InvalidSchema_FailsStartValidation(string schema, string expected)
    {
        var builder = NewBuilder();
        builder.UsePostgreSql(o =>
        {
            o.ConnectionString = "Host=127.0.0.1;Port=1";
            o.Schema = schema;
        });

        await using var provider = builder.Services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task UsePostgreSql_NoConnectionString_FailsStartValidation()
    {
        var builder = NewBuilder();
        builder.UsePostgreSql(o => o.Schema = "beacon");

        await using var provider = builder.Services.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains("ConnectionString", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UsePostgreSql_DataSourceFactory_NeedsNoConnectionStringAndCallsFactoryOnce()
    {
        var builder = NewBuilder();
        var calls = 0;
        await using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");

        builder.UsePostgreSql(_ =>
        {
            calls++;
            return dataSource;
        });

        await using (var provider = builder.Services.BuildServiceProvider())
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            provider.GetRequiredService<IHitStore>();
            provider.GetRequiredService<IHitStore>();
            Assert.Equal(1, calls);
        }

        // The app owns its data source: disposing the container (and the store) must leave it usable.
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await dataSource.OpenConnectionAsync(Ct));
        Assert.IsNotType<ObjectDisposedException>(error);
    }

    [Fact]
    public void UsePostgreSql_SecondStore_Throws()
    {
        var builder = NewBuilder();
        builder.UsePostgreSql("Host=127.0.0.1;Port=1");

        var error = Assert.Throws<InvalidOperationException>(() => builder.UsePostgreSql("Host=127.0.0.1;Port=1"));

        Assert.Contains("already registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsePostgreSql_NullArguments_Throw()
    {
        var builder = NewBuilder();

        Assert.Throws<ArgumentNullException>(() => builder.UsePostgreSql((Action<PostgreSqlHitStoreOptions>)null!));
        Assert.Throws<ArgumentNullException>(() => builder.UsePostgreSql((Func<IServiceProvider, NpgsqlDataSource>)null!));
        Assert.ThrowsAny<ArgumentException>(() => builder.UsePostgreSql("  "));
        Assert.Throws<ArgumentNullException>(() => ((IBeaconBuilder)null!).UsePostgreSql(o => { }));
    }

    [Fact]
    public async Task UsePostgreSql_DataSourceFactory_SchemaInitializerMigratesAtStart()
    {
        var schema = await fixture.PrepareSchemaAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        var builder = NewBuilder();
        builder.UsePostgreSql(_ => fixture.DataSource, o => o.Schema = schema);

        await using var provider = builder.Services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(Ct);
        }

        var store = Assert.IsType<PostgreSqlHitStore>(provider.GetRequiredService<IHitStore>());
        Assert.Equal(schema, store.Schema);
        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
    }

    private static TestBeaconBuilder NewBuilder()
    {
        var services = new ServiceCollection();
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        return new TestBeaconBuilder(services);
    }

    private sealed class TestBeaconBuilder(IServiceCollection services) : IBeaconBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
