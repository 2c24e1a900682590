// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// Input the query API never reads but still passes on (session 19's outside-style probe): elements of a filter after
/// the ones its operator takes, echoed in <c>meta.query.filters</c>, and a <c>site_id</c> that becomes a site when no
/// sites are configured. Each was a 500 or a 200 cut off after it started.
/// </summary>
public sealed class UnreadInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("""["and",[["is","event:page",["/"]]],"\ud800"]""")]
    [InlineData("""["or",[["is","event:page",["/"]]],1]""")]
    [InlineData("""["not",["is","event:page",["/"]],"x"]""")]
    [InlineData("""["and"]""")]
    public async Task Query_LogicalFilterWithOtherThanOneOperand_Answers400(string filter)
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        var (status, body) = await RedTeamQueryTests.PostAsync(host, $$"""{"site_id":"example.com","metrics":["visitors"],"date_range":"all","filters":[{{filter}}]}""");

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");
        Assert.Equal("filters", JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    /// <summary>A lone surrogate anywhere in the filters as sent (here where no parser reads it) is a 400, not a cut 200.</summary>
    [Fact]
    public async Task Query_FiltersHoldingALoneSurrogateWhereNothingReadsIt_Answers400()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        var (status, body) = await RedTeamQueryTests.PostAsync(host, """{"site_id":"example.com","metrics":["visitors"],"date_range":"all","filters":[["is","event:page",["/"],{"case_sensitive":true,"x":"\udc00"}]]}""");

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");
    }

    /// <summary>With no sites configured any id is a site; one holding a control character reached PostgreSQL (a 500 there).</summary>
    [Theory]
    [InlineData("/beacon/api/stats?site_id=a%00b&metrics=visitors")]
    [InlineData("/beacon/api/realtime?site_id=a%01b")]
    [InlineData("/beacon/api/export?site_id=example%0A.com")]
    public async Task Api_SiteIdWithAControlCharacter_NoSitesConfigured_Answers400(string url)
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync(url, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("site_id", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("field").GetString());
    }
}
