// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Tests;

public sealed class BeaconOptionsValidatorTests
{
    private readonly BeaconOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeeds()
    {
        var result = _validator.Validate(null, new BeaconOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_WellConfiguredSites_Succeeds()
    {
        var options = new BeaconOptions { DefaultSiteId = "example.com", DefaultTimeZone = "Europe/Berlin" };
        options.Sites.Add(Site("example.com", "Europe/Berlin", "example.com", "www.example.com"));
        options.Sites.Add(Site("blog.example", "America/Santiago", "*.blog.example"));
        options.Sites.Add(Site("shop.example", "UTC"));

        var result = _validator.Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(85, true)] // 255 bytes of UTF-8
    [InlineData(86, false)] // 258 bytes: longer than any stored event name (HitLimits.MaxShortTextBytes), so it could never match
    public void Validate_GoalEventNameInCjk_RefusedOverTheStoredSizeInBytes(int characters, bool valid)
    {
        var options = new BeaconOptions();
        var site = Site("example.com", "UTC");
        site.Goals.Add(new BeaconGoalOptions { EventName = new string('登', characters) });
        options.Sites.Add(site);

        var result = _validator.Validate(null, options);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains(result.Failures!, f => f.StartsWith("Sites[0].Goals[0]: ", StringComparison.Ordinal) && f.Contains("256 bytes", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Validate_ManyProblems_ListsEveryError()
    {
        var options = new BeaconOptions
        {
            PathPrefix = "beacon/",
            QueueCapacity = 0,
            MaxBatchSize = 100_001,
            MaxBacklogBatchSize = 0,
            FlushInterval = TimeSpan.Zero,
            MaxBodyBytes = 10,
            DefaultTimeZone = "Mars/Olympus_Mons",
            DefaultSiteId = "missing.example",
        };
        options.Sites.Add(Site(string.Empty, "UTC"));
        options.Sites.Add(Site("a.example", "Nowhere/Town"));

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("PathPrefix", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("QueueCapacity", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("MaxBatchSize", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("MaxBacklogBatchSize", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("FlushInterval", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("MaxBodyBytes", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("DefaultTimeZone 'Mars/Olympus_Mons'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("DefaultSiteId 'missing.example'", StringComparison.Ordinal));
        Assert.Contains("Sites[0].Id is required.", failures);
        Assert.Contains("Sites[1].TimeZone 'Nowhere/Town' is not a known IANA time zone.", failures);
        Assert.Equal(10, failures.Count);
    }

    [Fact]
    public void Validate_DuplicateSiteIdsInAnyCase_Fails()
    {
        var options = new BeaconOptions();
        options.Sites.Add(Site("example.com", "UTC", "example.com"));
        options.Sites.Add(Site("Example.com", "UTC", "other.example"));

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(["Sites[1].Id 'Example.com' is configured twice."], result.Failures);
    }

    [Fact]
    public void Validate_BadSiteTimeZone_NamesTheSite()
    {
        var options = new BeaconOptions();
        options.Sites.Add(Site("example.com", "Europe/Berlin"));
        options.Sites.Add(Site("other.example", "CET+1"));

        var result = _validator.Validate(null, options);

        Assert.Equal(["Sites[1].TimeZone 'CET+1' is not a known IANA time zone."], result.Failures);
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("")]
    [InlineData(null)]
    public void Validate_SiteRevenueCurrencyNotAnIso4217Code_NamesTheSite(string? currency)
    {
        // A query for total_revenue refuses such a currency, so the site's revenue could only ever answer 400.
        var options = new BeaconOptions();
        options.Sites.Add(Site("example.com", "UTC"));
        var site = Site("shop.example", "UTC");
        site.RevenueCurrency = currency!;
        options.Sites.Add(site);

        var result = _validator.Validate(null, options);

        Assert.Equal([$"Sites[1].RevenueCurrency '{currency}' is not an ISO 4217 code of three upper-case letters, such as EUR."], result.Failures);
    }

    [Fact]
    public void Validate_HostNameInTwoSites_Fails()
    {
        var options = new BeaconOptions();
        options.Sites.Add(Site("example.com", "UTC", "example.com", "www.example.com"));
        options.Sites.Add(Site("other.example", "UTC", "WWW.example.com"));

        var result = _validator.Validate(null, options);

        Assert.Equal(["Sites[1] host name 'WWW.example.com' also belongs to site 'example.com'."], result.Failures);
    }

    [Fact]
    public void Validate_SiteIdIsAnotherSitesHostName_Fails()
    {
        var options = new BeaconOptions();
        options.Sites.Add(Site("example.com", "UTC", "example.com", "shop.example"));
        options.Sites.Add(Site("shop.example", "UTC"));

        var result = _validator.Validate(null, options);

        Assert.Equal(["Sites[1] host name 'shop.example' also belongs to site 'example.com'."], result.Failures);
    }

    [Fact]
    public void Validate_EmptyHostName_Fails()
    {
        var options = new BeaconOptions();
        options.Sites.Add(Site("example.com", "UTC", " "));

        var result = _validator.Validate(null, options);

        Assert.Equal(["Sites[0].Hostnames has an empty entry."], result.Failures);
    }

    [Fact]
    public void Validate_TooLongSiteId_Fails()
    {
        var options = new BeaconOptions();
        options.Sites.Add(Site(new string('a', HitLimits.MaxShortTextBytes + 1), "UTC"));

        var result = _validator.Validate(null, options);

        Assert.Contains("Sites[0].Id is longer than 256 bytes of UTF-8.", result.Failures!);
    }

    [Fact]
    public void Validate_SiteIdOverByteLimitInFewCharacters_Fails()
    {
        // 86 CJK characters: 258 bytes of UTF-8, far fewer than 256 characters. Refused, not cut: two ids cut to the
        // same prefix would share a site.
        var options = new BeaconOptions();
        options.Sites.Add(Site(new string('\u4E2D', 86), "UTC"));
        options.Sites.Add(Site(new string('\u4E2D', 85), "UTC"));

        var result = _validator.Validate(null, options);

        Assert.Equal(["Sites[0].Id is longer than 256 bytes of UTF-8."], result.Failures);
    }

    [Fact]
    public void Validate_DefaultSiteIdOverByteLimit_Fails()
    {
        var options = new BeaconOptions { DefaultSiteId = new string('\u00E9', 129) };

        var result = _validator.Validate(null, options);

        Assert.Equal(["DefaultSiteId is longer than 256 bytes of UTF-8."], result.Failures);
    }

    private static BeaconSiteOptions Site(string id, string timeZone, params string[] hostnames)
    {
        var site = new BeaconSiteOptions { Id = id, TimeZone = timeZone };
        foreach (var host in hostnames)
        {
            site.Hostnames.Add(host);
        }

        return site;
    }
}
