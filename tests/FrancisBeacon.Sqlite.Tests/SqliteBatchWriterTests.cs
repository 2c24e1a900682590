using FrancisBeacon.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The batch writer binds a parameter only when its value differs from the one the previous row left in it
/// (<see cref="SqliteBatchWriter.BoundValues"/>): SQLite keeps bindings across <c>sqlite3_reset</c>, so the rows must
/// come out exactly as given whichever columns repeat, change, or turn NULL or empty between rows.
/// </summary>
public sealed class SqliteBatchWriterTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void BoundValues_ValueAsBefore_SkipsTheBindAndTheStatementStillHoldsIt()
    {
        using var connection = new SqliteConnection(_database.ConnectionString);
        connection.Open();
        var db = connection.Handle!;
        using var statement = SqliteBatchWriter.Prepare(db, "SELECT ?1, ?2");
        var bound = new SqliteBatchWriter.BoundValues();
        var buffer = new byte[16];

        var rows = new List<(object?, object?)>();
        void Row(string? text, long? number)
        {
            bound.Text(db, statement, 1, text, ref buffer);
            bound.Int(db, statement, 2, number);
            Assert.Equal(raw.SQLITE_ROW, raw.sqlite3_step(statement));
            rows.Add((Column(statement, 0), Column(statement, 1)));
            Assert.Equal(raw.SQLITE_OK, raw.sqlite3_reset(statement));
        }

        Row("a", 5);                        // first row: both bound
        Row(new string('a', 1), 5);         // an equal string (another instance) and the same number: both skipped
        Row(null, null);                    // both bound as NULL
        Row(null, null);                    // both skipped
        Row(string.Empty, 0);               // empty text and zero are not NULL: both bound
        Row(string.Empty, 0);               // both skipped
        Row("b", 5);                        // both bound
        Row("c", 5);                        // text of the same length bound, number skipped

        Assert.Equal<(object?, object?)>(
            [("a", 5L), ("a", 5L), (null, null), (null, null), (string.Empty, 0L), (string.Empty, 0L), ("b", 5L), ("c", 5L)],
            rows);
        Assert.Equal(7, bound.Skipped);
    }

    [Fact]
    public async Task AppendAsync_ColumnsRepeatingChangingAndTurningNull_StoresEveryRowAsGiven()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        // Each column cycles through its own pattern (cycles of 2, 3, 5 and 7 rows), so that over 60 rows every
        // column meets a repeat, a change, a NULL after a value, a value after a NULL and an empty string.
        string? Cycle(int i, int length, string name) => (i % length) switch
        {
            0 => null,
            1 => name + "-x",
            2 => string.Concat(name, "-x"), // equal to the row before, another instance
            3 => string.Empty,
            _ => name + "-" + (i % 3).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        long? Number(int i, int length) => (i % length) switch { 0 => null, 1 or 2 => 42, 3 => 0, _ => i };
        var hits = Enumerable.Range(0, 60).Select(i => new Hit
        {
            Id = Guid.CreateVersion7(t0.AddMilliseconds(i)),
            SiteId = i % 7 < 4 ? "site-a" : "site-b",
            Timestamp = t0.AddMilliseconds(i),
            EventName = i % 3 == 0 ? Hit.PageviewEvent : "signup",
            Hostname = i % 5 < 2 ? "example.com" : "www.example.com",
            Path = i % 2 == 0 ? "/" : "/pricing",
            Referrer = Cycle(i, 7, "https://r.example/"),
            ReferrerSource = Cycle(i, 5, "source"),
            Channel = Cycle(i, 3, "channel"),
            UtmSource = Cycle(i, 2, "us"),
            UtmMedium = Cycle(i, 3, "um"),
            UtmCampaign = Cycle(i, 5, "uc"),
            UtmTerm = Cycle(i, 7, "ut"),
            UtmContent = Cycle(i, 6, "uo"),
            VisitorId = i % 4 < 2 ? 7 : 8,
            PreviousVisitorId = Number(i, 5),
            Browser = Cycle(i, 7, "browser"),
            BrowserVersion = Cycle(i, 5, "bv"),
            OperatingSystem = Cycle(i, 3, "os"),
            OperatingSystemVersion = Cycle(i, 2, "ov"),
            DeviceType = Cycle(i, 6, "device"),
            Country = Cycle(i, 5, "C"),
            Region = Cycle(i, 7, "R"),
            City = Cycle(i, 3, "city"),
            ScreenWidth = (int?)Number(i, 7),
            Language = Cycle(i, 5, "lang"),
            RevenueAmount = Number(i, 3) is { } amount ? amount / 100m : null,
            RevenueCurrency = Number(i, 3) is null ? null : "EUR",
            Properties = (i % 4) switch
            {
                0 or 1 => Hit.EmptyProperties,
                2 => new Dictionary<string, string>(StringComparer.Ordinal) { ["plan"] = "pro" },
                _ => new Dictionary<string, string>(StringComparer.Ordinal) { ["plan"] = "pro", ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            },
        }).ToList();

        await store.AppendAsync(hits, Ct);

        var stored = new Dictionary<Guid, Hit>();
        await foreach (var hit in store.ReadAsync(HitRange.All, Ct))
        {
            stored.Add(hit.Id, hit);
        }

        Assert.Equal(hits.Count, stored.Count);
        foreach (var expected in hits)
        {
            var actual = stored[expected.Id];
            Assert.Equal(Columns(expected), Columns(actual));
            Assert.Equal(expected.Properties.OrderBy(p => p.Key, StringComparer.Ordinal), actual.Properties.OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    public void Dispose() => _database.Dispose();

    private static object? Column(sqlite3_stmt statement, int index) => raw.sqlite3_column_type(statement, index) switch
    {
        raw.SQLITE_NULL => null,
        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, index),
        _ => raw.sqlite3_column_text(statement, index).utf8_to_string(),
    };

    private static string Columns(Hit hit) => string.Join(
        "|",
        new object?[]
        {
            hit.SiteId, hit.Timestamp.ToUnixTimeMilliseconds(), hit.EventName, hit.Hostname, hit.Path, hit.Referrer, hit.ReferrerSource,
            hit.Channel, hit.UtmSource, hit.UtmMedium, hit.UtmCampaign, hit.UtmTerm, hit.UtmContent, hit.VisitorId,
            hit.PreviousVisitorId, hit.Browser, hit.BrowserVersion, hit.OperatingSystem, hit.OperatingSystemVersion,
            hit.DeviceType, hit.Country, hit.Region, hit.City, hit.ScreenWidth, hit.Language, hit.RevenueAmount, hit.RevenueCurrency,
        }.Select(v => v switch { null => "<null>", string s => "'" + s + "'", decimal d => d.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture), _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) }));
}
