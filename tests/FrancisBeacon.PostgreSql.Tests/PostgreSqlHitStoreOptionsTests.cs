// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>Options checks that need no server: a bad schema name never reaches SQL.</summary>
public sealed class PostgreSqlHitStoreOptionsTests
{
    public static TheoryData<string?> BadSchemas =>
    [
        null!, "", "Beacon", "1beacon", "bea-con", "beacon;drop table x", "\"beacon\"", "beacon.hits", "bé", "pg_beacon",
        "pg_", new string('a', 64), " beacon",
    ];

    [Fact]
    public void Defaults_AreBeaconSchemaAndMigrate()
    {
        var options = new PostgreSqlHitStoreOptions();

        Assert.Equal("beacon", options.Schema);
        Assert.Equal(FrancisBeacon.Storage.SchemaMode.Migrate, options.SchemaMode);
        Assert.Equal(string.Empty, options.ConnectionString);
    }

    [Theory]
    [MemberData(nameof(BadSchemas))]
    public void Constructor_WithDataSource_BadSchema_ThrowsBeforeAnySql(string? schema)
    {
        // Port 1 has no server: any attempt to run SQL would fail differently (and nothing here tries).
        using var dataSource = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");

        var error = Assert.Throws<ArgumentException>(() =>
            new PostgreSqlHitStore(dataSource, new PostgreSqlHitStoreOptions { Schema = schema! }));

        Assert.Contains("Schema", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadSchemas))]
    public void Constructor_WithConnectionString_BadSchema_ThrowsBeforeAnySql(string? schema)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = "Host=127.0.0.1;Port=1;Timeout=1", Schema = schema! }));

        Assert.Contains("Schema", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("beacon")]
    [InlineData("_x")]
    [InlineData("user")]
    [InlineData("a_very_long_schema_name_of_exactly_sixty_three_characters_12345")]
    public void ValidateSchema_AllowedName_ReturnsIt(string schema)
    {
        Assert.Equal(schema, PostgreSqlHitStore.ValidateSchema(schema));
    }

    [Fact]
    public void Constructor_WithoutConnectionString_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new PostgreSqlHitStore(new PostgreSqlHitStoreOptions()));

        Assert.Contains("ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposeAsync_BorrowedDataSource_IsLeftOpen()
    {
        var borrowed = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=1");
        var store = new PostgreSqlHitStore(borrowed, new PostgreSqlHitStoreOptions());

        await store.DisposeAsync();

        // A disposed data source throws ObjectDisposedException; a live one tries to connect and fails otherwise.
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await borrowed.OpenConnectionAsync(TestContext.Current.CancellationToken));
        Assert.IsNotType<ObjectDisposedException>(error);
        await borrowed.DisposeAsync();
    }
}
