// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>The row order contract of <see cref="HitQuery"/>, with Limit and Offset.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Rows tie on the first metric are ordered by the page's UTF-8 bytes (SQLite <c>BINARY</c>, PostgreSQL
    /// <c>"C"</c>): upper case before lower case, and characters beyond the Basic Multilingual Plane after
    /// U+E000..U+FFFF, unlike UTF-16 ordinal order; a larger first metric comes first.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_TiesOnFirstMetric_OrderedByUtf8Bytes()
    {
        var store = await CreateStoreWithAsync(OrderingHits());

        var result = await store.QueryAsync(Query(Utc(2025, 4, 1), Utc(2025, 4, 2), HitDimension.Page), TestCancellationToken);

        AssertRows(OrderingExpected(), result);
    }

    /// <summary>Offset skips rows after ordering, and Limit caps what is left.</summary>
    [Fact]
    public virtual async Task QueryAsync_LimitAndOffset_PageThroughOrderedRows()
    {
        var store = await CreateStoreWithAsync(OrderingHits());
        var query = Query(Utc(2025, 4, 1), Utc(2025, 4, 2), HitDimension.Page);

        var page = await store.QueryAsync(query with { Offset = 2, Limit = 3 }, TestCancellationToken);
        var firstTwo = await store.QueryAsync(query with { Limit = 2 }, TestCancellationToken);
        var rest = await store.QueryAsync(query with { Offset = 5 }, TestCancellationToken);

        var all = OrderingExpected();
        AssertRows(all.Skip(2).Take(3).ToList(), page);
        AssertRows(all.Take(2).ToList(), firstTwo);
        AssertRows(all.Skip(5).ToList(), rest);
    }

    /// <summary>A limit of zero, or an offset past the last row, gives no rows.</summary>
    [Fact]
    public virtual async Task QueryAsync_LimitZeroOrOffsetPastEnd_ReturnsNoRows()
    {
        var store = await CreateStoreWithAsync(OrderingHits());
        var query = Query(Utc(2025, 4, 1), Utc(2025, 4, 2), HitDimension.Page);

        var none = await store.QueryAsync(query with { Limit = 0 }, TestCancellationToken);
        var past = await store.QueryAsync(query with { Offset = 100, Limit = 10 }, TestCancellationToken);

        AssertRows([], none);
        AssertRows([], past);
    }

    /// <summary>With the day first, rows are chronological whatever the metrics say, and Limit and Offset page through days.</summary>
    [Fact]
    public virtual async Task QueryAsync_DayFirstWithLimitAndOffset_PagesChronologically()
    {
        var b = HitBuilder.Pageview("/");
        var hits = new List<Hit>();
        for (var day = 1; day <= 6; day++)
        {
            // Later days have fewer visitors, so metric order would reverse the days.
            for (var visitor = 0; visitor < 8 - day; visitor++)
            {
                hits.Add(b.ByVisitor(visitor).At(Utc(2025, 6, day, 12)).Build());
            }
        }

        var store = await CreateStoreWithAsync(hits);

        var result = await store.QueryAsync(Query(Utc(2025, 6, 1), Utc(2025, 7, 1), HitDimension.Day) with { Offset = 1, Limit = 3 }, TestCancellationToken);

        AssertRows([Row(["2025-06-02"], 6, 6), Row(["2025-06-03"], 5, 5), Row(["2025-06-04"], 4, 4)], result);
    }

    /// <summary>The single totals row is subject to Limit and Offset like any other row.</summary>
    [Fact]
    public virtual async Task QueryAsync_TotalsRowWithOffsetOrLimitZero_ReturnsNoRows()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());
        var query = Query(SmallSiteFrom, SmallSiteTo);
        var empty = Query(Utc(2030, 1, 1), Utc(2030, 1, 2));

        var offset = await store.QueryAsync(query with { Offset = 1 }, TestCancellationToken);
        var limit = await store.QueryAsync(query with { Limit = 0 }, TestCancellationToken);
        var emptyOffset = await store.QueryAsync(empty with { Offset = 1 }, TestCancellationToken);
        var emptyLimit = await store.QueryAsync(empty with { Limit = 1 }, TestCancellationToken);

        AssertRows([], offset);
        AssertRows([], limit);
        AssertRows([], emptyOffset);
        AssertRows([Row([], 0, 0)], emptyLimit);
    }

    private static List<Hit> OrderingHits()
    {
        var b = new HitBuilder().At(Utc(2025, 4, 1, 12));
        var hits = new List<Hit>();
        var visitor = 0;
        void Add(string path, int visitors)
        {
            for (var i = 0; i < visitors; i++)
            {
                hits.Add(b.OnPage(path).ByVisitor(++visitor).Build());
            }
        }

        // Appended in no particular order.
        Add("/😀", 1);
        Add("/b", 1);
        Add("/zzz", 3);
        Add("/\uE000", 1);
        Add("/B", 1);
        Add("/é", 1);
        Add("/a", 1);
        Add("/popular", 2);
        Add("/Popular", 2);
        return hits;
    }

    private static List<AggregateRow> OrderingExpected() =>
    [
        Row(["/zzz"], 3, 3),
        Row(["/Popular"], 2, 2),
        Row(["/popular"], 2, 2),
        Row(["/B"], 1, 1),
        Row(["/a"], 1, 1),
        Row(["/b"], 1, 1),
        Row(["/é"], 1, 1),
        Row(["/\uE000"], 1, 1),
        Row(["/😀"], 1, 1),
    ];
}
