using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>The PostgreSQL store against the conformance kit, on a real server (a schema per test).</summary>
public sealed class PostgreSqlHitStoreConformanceTests(PostgreSqlFixture fixture)
    : HitStoreRollupConformanceTests<PostgreSqlFixture>(fixture);
