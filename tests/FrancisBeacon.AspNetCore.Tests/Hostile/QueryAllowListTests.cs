using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using FrancisBeacon.Querying;
using FrancisBeacon.Sql;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// Every query-API input that cannot be an SQL parameter — dimension names, metric names, order_by, filter operators,
/// time zones, field names, JSON property keys — is checked against an allow-list before any SQL is built; every
/// value that can be a parameter is one.
/// </summary>
public sealed partial class QueryAllowListTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The hits table's columns: the only identifiers a dimension may put into SQL.</summary>
    private static readonly HashSet<string> HitColumns =
    [
        "path", "event_name", "hostname", "referrer_source", "channel", "referrer", "utm_source", "utm_medium",
        "utm_campaign", "utm_term", "utm_content", "browser", "browser_version", "os", "os_version", "device_type",
        "country", "region", "city", "language", "screen_width",
    ];

    private static SiteResolver Sites()
    {
        var options = new BeaconOptions();
        options.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" });
        return new SiteResolver(Options.Create(options));
    }

    public static TheoryData<string> NonParameterSlots() =>
    [
        """{"site_id":"example.com","metrics":[@],"date_range":"7d"}""",
        """{"site_id":"example.com","metrics":["visitors"],"dimensions":[@],"date_range":"7d"}""",
        """{"site_id":"example.com","metrics":["visitors"],"filters":[["is",@,["x"]]],"date_range":"7d"}""",
        """{"site_id":"example.com","metrics":["visitors"],"filters":[[@,"event:page",["x"]]],"date_range":"7d"}""",
        """{"site_id":"example.com","metrics":["visitors"],"dimensions":["event:page"],"order_by":[[@,"desc"]],"date_range":"7d"}""",
        """{"site_id":"example.com","metrics":["visitors"],"dimensions":["event:page"],"order_by":[["visitors",@]],"date_range":"7d"}""",
        """{"site_id":"example.com","metrics":["visitors"],"date_range":@}""",
        """{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","time_zone":@}""",
        """{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","include":{@:true}}""",
        """{"site_id":"example.com","metrics":["visitors"],"date_range":"7d",@:1}""",
    ];

    [Theory]
    [MemberData(nameof(NonParameterSlots))]
    public void Parse_HostileValueInANonParameterSlot_IsRefusedBeforeAnySql(string template)
    {
        var sites = Sites();
        foreach (var seed in HostileCorpus.Seeds.Concat(["event:page\"; DROP TABLE beacon_hits; --", "visitors) --", "path", "ts"]))
        {
            var json = template.Replace("@", HostileCorpus.Json(seed), StringComparison.Ordinal);
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(json);
            }
            catch (JsonException)
            {
                continue; // not JSON at all: refused before parsing the query
            }

            using (document)
            {
                var ex = Record.Exception(() => QueryEndpoint.Parse(document.RootElement, sites, Now));
                Assert.True(ex is HitQueryException or InvalidOperationException, $"{json} was accepted (or failed with {ex?.GetType().Name}).");
            }
        }
    }

    [Fact]
    public void HitDimension_HasNoPublicConstructor_SoEveryDimensionIsOneOfAll()
    {
        Assert.Empty(typeof(HitDimension).GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        Assert.All(HitDimension.All, d => Assert.True(HitDimension.TryParse(d.Name, out var same) && ReferenceEquals(d, same)));
    }

    [Fact]
    public void HitDimension_EveryColumnExpression_NamesOnlyHitsTableColumns()
    {
        foreach (var dimension in HitDimension.All.Where(d => d.Column is not null))
        {
            var column = dimension.Column!;
            // Strip the fixed literals of the screen-class CASE, then every identifier must be a hits column or SQL.
            var identifiers = Identifier().Matches(StringLiteral().Replace(column, "''")).Select(m => m.Value)
                .Where(w => !SqlKeywords.Contains(w) && !char.IsAsciiDigit(w[0]));
            Assert.All(identifiers, id => Assert.Contains(id, HitColumns));
        }
    }

    [Fact]
    public void HitMetricNames_AcceptOnlyTheEnumsApiNames()
    {
        foreach (var seed in HostileCorpus.Seeds)
        {
            Assert.False(HitMetricNames.TryParse(seed, out _), seed);
        }

        Assert.All(Enum.GetValues<HitMetric>(), m => Assert.Matches("^[a-z_]+$", m.ToApiName()));
    }

    [Fact]
    public void SiteTimeZones_HostileIds_AreNotFound()
    {
        foreach (var seed in HostileCorpus.Seeds.Where(s => !string.Equals(s.Trim(), "UTC", StringComparison.OrdinalIgnoreCase)))
        {
            Assert.False(SiteTimeZones.TryFind(seed, out _), seed);
        }
    }

    [Fact]
    public void Build_HostileValuesAndZone_ReachSqlOnlyAsParameters()
    {
        var sql = new HitQuerySql(new TestDialect(), "beacon_hits");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        foreach (var seed in HostileCorpus.Seeds.Where(s => s.Length is > 3 and < 1000))
        {
            foreach (var dimension in HitDimension.All.Where(d => d.Column is not null))
            {
                var filtered = dimension.IsVisit ? HitDimension.EventName : dimension;
                var query = new HitQuery
                {
                    SiteId = seed,
                    From = Now.AddDays(-400),
                    To = Now,
                    TimeZone = zone,
                    Metrics = dimension.IsVisit
                        ? [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events, HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit]
                        : [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events],
                    Dimensions = [dimension.IsVisit ? HitDimension.Day : HitDimension.Hour, dimension],
                    // Filters do not combine with visit dimensions yet; those queries carry the seed as site id only.
                    Filter = dimension.IsVisit ? null : new HitFilterOr(
                    [
                        new HitFilterCondition(HitFilterOperator.Is, filtered, [seed]),
                        new HitFilterCondition(HitFilterOperator.ContainsNot, filtered, [seed, seed + "x"]),
                        new HitFilterNot(new HitFilterCondition(HitFilterOperator.Contains, HitDimension.Page, [seed])),
                    ]),
                };

                var (text, parameters) = sql.Build(query);

                Assert.DoesNotContain(seed, text, StringComparison.Ordinal);
                Assert.DoesNotContain("America", text, StringComparison.Ordinal);
                Assert.Contains(parameters.ParameterNames, p => Equals(parameters.Get<object>(p), seed));
            }

            // event:props:<key> takes any key (as Plausible does): the key must reach SQL as a parameter only.
            if (seed.Length > HitDimension.MaxPropertyKeyLength)
            {
                continue;
            }

            var property = HitDimension.Property(seed);
            var (propertyText, propertyParameters) = sql.Build(new HitQuery
            {
                SiteId = "example.com",
                From = Now.AddDays(-7),
                To = Now,
                TimeZone = zone,
                Metrics = [HitMetric.Visitors, HitMetric.Events],
                Dimensions = [property],
                Filter = new HitFilterCondition(HitFilterOperator.Is, property, [seed]),
            });
            Assert.DoesNotContain(seed, propertyText, StringComparison.Ordinal);
            Assert.Contains(propertyParameters.ParameterNames, p => Equals(propertyParameters.Get<object>(p), seed));
        }
    }

    private static readonly HashSet<string> SqlKeywords = new(StringComparer.OrdinalIgnoreCase) { "CASE", "WHEN", "THEN", "ELSE", "END", "IS", "NULL", "OR", "AND" };

    [GeneratedRegex("[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex Identifier();

    [GeneratedRegex("'[^']*'")]
    private static partial Regex StringLiteral();

    private sealed class TestDialect : SqlDialect
    {
        public override string BinaryCollation => " COLLATE BINARY";

        public override string EpochMilliseconds(string column) => column;

        public override string NowMilliseconds => "now_ms()";

        public override object TimestampValue(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

        public override string MonthNumber(string dayNumber) => $"month_of({dayNumber})";

        public override string Contains(string haystack, string needle) => $"instr({haystack}, {needle}) > 0";
    }
}
