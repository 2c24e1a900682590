// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Net;
using System.Text.Json;
using FrancisBeacon.Querying;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// The objects inside a <c>v2/query</c> body (<c>pagination</c>, <c>include</c>, <c>include.comparisons</c>, a filter's
/// modifiers) follow the top level's rule: an unknown or repeated name is a <c>400</c> naming the field, never ignored.
/// Session 21's outside probe found each of these answered <c>200</c>: a misspelt <c>offest</c> or an unhonoured
/// <c>match_day_of_week</c> ignored, <c>"total_rows": "yes"</c> read as false, the last of two copies taken.
/// </summary>
public sealed class NestedQueryFieldTests
{
    private const string Base = "\"site_id\":\"example.com\",\"metrics\":[\"visitors\"],\"date_range\":\"all\",\"dimensions\":[\"event:page\"]";

    [Theory]
    [InlineData("""{"pagination":{"limit":1,"offest":3}}""", "pagination")]
    [InlineData("""{"pagination":{"limit":1,"limit":2}}""", "pagination")]
    [InlineData("""{"pagination":{"offset":0,"offset":1}}""", "pagination")]
    [InlineData("""{"pagination":{"limit":1,"offset":2147483648}}""", "pagination")]
    [InlineData("""{"include":{"total_rows":"yes"}}""", "include")]
    [InlineData("""{"include":{"time_labels":1}}""", "include")]
    [InlineData("""{"include":{"imports":"x"}}""", "include")]
    [InlineData("""{"include":{"total_rows":true,"total_rows":false}}""", "include")]
    [InlineData("""{"include":{"comparisons":{"mode":"previous_period","match_day_of_week":true}}}""", "include")]
    [InlineData("""{"include":{"comparisons":{"mode":"previous_period","match_day_of_week":"no"}}}""", "include")]
    [InlineData("""{"include":{"comparisons":{"mode":"year_over_year","mode":"previous_period"}}}""", "include")]
    [InlineData("""{"include":{"comparisons":{"mode":"previous_period"},"comparisons":{"mode":"year_over_year"}}}""", "include")]
    [InlineData("""{"filters":[["is","event:page",["/"],{"case_sensitive":false,"case_sensitive":true}]]}""", "filters")]
    public async Task Query_UnknownOrRepeatedNameInANestedObject_Answers400NamingTheField(string extra, string field)
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        var (status, body) = await RedTeamQueryTests.PostAsync(host, "{" + Base + "," + extra[1..]);

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");
        Assert.Equal(field, JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("""{"pagination":{"limit":1,"offset":0}}""")]
    [InlineData("""{"pagination":{}}""")]
    [InlineData("""{"include":{"total_rows":false,"time_labels":false,"imports":true,"comparisons":{"mode":"year_over_year"}}}""")]
    [InlineData("""{"include":{"comparisons":{"mode":"previous_period","match_day_of_week":false}}}""")]
    [InlineData("""{"filters":[["is","event:page",["/"],{"case_sensitive":false}]]}""")]
    [InlineData("""{"filters":[["is","event:page",["/"],{}]]}""")]
    public async Task Query_EachNestedNameOnce_Answers200(string extra)
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        var (status, body) = await RedTeamQueryTests.PostAsync(host, "{" + Base + "," + extra[1..]);

        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
    }

    /// <summary>
    /// A 64 KiB body holds an object of 6 000 distinct names. The first version of this check collected them all and
    /// compared each with those before it (0.8 s of CPU a request, before the query's slot); names are now checked one at
    /// a time, so the first unknown one ends the work.
    /// </summary>
    [Theory]
    [InlineData("include")]
    [InlineData("pagination")]
    [InlineData("modifiers")]
    public void Parse_ObjectOfThousandsOfDistinctNames_StopsAtTheFirstUnknown(string where)
    {
        var names = string.Join(',', Enumerable.Range(0, 6000).Select(i => $"\"k{i:x4}\":1"));
        var json = where switch
        {
            "include" => "{" + Base + ",\"include\":{" + names + "}}",
            "pagination" => "{" + Base + ",\"pagination\":{" + names + "}}",
            _ => "{" + Base + ",\"filters\":[[\"is\",\"event:page\",[\"/\"],{" + names + "}]]}",
        };
        var options = new BeaconOptions();
        options.Sites.Add(new BeaconSiteOptions { Id = "example.com" });
        var sites = new SiteResolver(Options.Create(options));
        using var document = JsonDocument.Parse(json);
        Assert.Throws<HitQueryException>(() => QueryEndpoint.Parse(document.RootElement, sites, DateTimeOffset.UnixEpoch)); // JIT

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<HitQueryException>(() => QueryEndpoint.Parse(document.RootElement, sites, DateTimeOffset.UnixEpoch));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("k0000", ex.Reason, StringComparison.Ordinal);
        Assert.True(allocated < 256 * 1024, $"Parse allocated {allocated:N0} bytes for a refused body.");
    }
}
