using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// What the rollup upkeep tests compare: the rollup tables a pass writes, read back as text rows in a fixed order, for
/// one site in Europe/Berlin (a zone with a 23- and a 25-hour day).
/// </summary>
internal static class RollupTableRows
{
    public static readonly TimeZoneInfo Zone = RandomQueries.FindZone("Europe/Berlin");

    public static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = Zone };

    /// <summary>The rollup tables a whole build and an incremental pass both write (without the <c>beacon_</c> prefix).</summary>
    public static readonly string[] Tables =
    [
        "rollup_events", "rollup_visits", "rollup_links", "rollup_sessions", "rollup_session_hits", "rollup_segment_events", "rollup_segment_visits",
        "rollup_month_events", "rollup_month_visits",
    ];

    /// <summary>
    /// Builds the rollups of <paramref name="hits"/> whole in the empty database <paramref name="whole"/> and asserts that
    /// every table of <see cref="Tables"/> holds the same rows as in <paramref name="incrementalConnectionString"/>.
    /// </summary>
    public static async Task AssertSameRowsAsWholeBuildAsync(SqliteTestDatabase whole, string incrementalConnectionString, List<Hit> hits, CancellationToken ct)
    {
        var store = whole.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(hits, ct);
        await store.RefreshRollupsAsync(Sites, ct);
        foreach (var table in Tables)
        {
            Assert.Equal(await ReadAsync(whole.ConnectionString, table), await ReadAsync(incrementalConnectionString, table));
        }
    }

    /// <summary>Every row of <c>beacon_</c><paramref name="table"/> as text, sorted (the links' JSON included: the same links in the same order).</summary>
    public static Task<List<string>> ReadAsync(string connectionString, string table) => QueryAsync(connectionString, $"SELECT * FROM beacon_{table}");

    /// <summary>Every row <paramref name="sql"/> returns as text (columns joined by '|'), sorted.</summary>
    public static async Task<List<string>> QueryAsync(string connectionString, string sql)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join("|", values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}
