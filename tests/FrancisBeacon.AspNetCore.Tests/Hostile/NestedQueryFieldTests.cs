// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

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
    [InlineData("""{"filters":[["is","event:page",["/"],{"case_sensitive":false}]]}""")]
    [InlineData("""{"filters":[["is","event:page",["/"],{}]]}""")]
    public async Task Query_EachNestedNameOnce_Answers200(string extra)
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        var (status, body) = await RedTeamQueryTests.PostAsync(host, "{" + Base + "," + extra[1..]);

        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
    }
}
