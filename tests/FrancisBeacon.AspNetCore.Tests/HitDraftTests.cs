using System.Reflection;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// The built-in steps fill a <see cref="HitDraft"/> in place and the hit is allocated once; custom steps still see a
/// <see cref="HitEnrichmentContext"/> holding everything the steps before them set, and what they set is kept.
/// </summary>
public sealed class HitDraftTests
{
    [Fact]
    public void LoadThenToHit_KeepsEveryPropertyOfHit()
    {
        var hit = new Hit { SiteId = "s", Timestamp = DateTimeOffset.UnixEpoch, Path = "/" };
        var index = 0;
        foreach (var property in typeof(Hit).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            index++;
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object value = type == typeof(string) ? "v" + index
                : type == typeof(Guid) ? Guid.CreateVersion7()
                : type == typeof(DateTimeOffset) ? DateTimeOffset.UnixEpoch.AddDays(index)
                : type == typeof(long) ? (long)index
                : type == typeof(int) ? index
                : type == typeof(decimal) ? (decimal)index
                : type == typeof(IReadOnlyDictionary<string, string>) ? new Dictionary<string, string> { ["k"] = "v" }
                : throw new InvalidOperationException($"Hit.{property.Name} ({type}) is new: give HitDraft the field and extend this test.");
            property.SetValue(hit, value); // a fresh instance; init-only setters are callable by reflection
        }

        var draft = HitDraft.From(hit, new HitRequestSignals(HitSource.Pixel, null, _ => null), TimeZoneInfo.Utc);

        Assert.Equal(hit, draft.ToHit());
    }

    [Fact]
    public void Build_OnlyBuiltInSteps_FillsEveryEnrichedField()
    {
        var factory = Factory(out _);

        var hit = Build(factory, "https://www.google.com/");

        Assert.NotNull(hit);
        Assert.Equal(("Google", "Organic Search"), (hit.ReferrerSource, hit.Channel));
        Assert.Equal(("Firefox", "Windows", "Desktop"), (hit.Browser, hit.OperatingSystem, hit.DeviceType));
        Assert.NotEqual(0, hit.VisitorId);
        Assert.Equal(7, hit.Id.Version);
    }

    [Fact]
    public void Build_CustomSteps_SeeEarlierFields_AndTheirChangesAndTheBotVerdictAreKept()
    {
        var seen = new List<string>();
        var factory = Factory(out _,
            new Step(150, c => seen.Add($"150 bot={c.Items.ContainsKey("bot")} browser={c.Hit.Browser}")),
            new Step(350, c =>
            {
                seen.Add($"350 source={c.Hit.ReferrerSource} browser={c.Hit.Browser}");
                c.Hit = c.Hit with { Path = "/changed", Properties = new Dictionary<string, string> { ["k"] = "v" } };
            }),
            new Step(450, c => seen.Add($"450 path={c.Hit.Path} browser={c.Hit.Browser} visitor={c.Hit.VisitorId}")),
            new Step(950, c => seen.Add($"950 visitor={c.Hit.VisitorId != 0} country={c.Hit.Country}")));

        var hit = Build(factory, "https://news.ycombinator.com/item");

        Assert.Equal(
            ["150 bot=True browser=", "350 source=Hacker News browser=", "450 path=/changed browser=Firefox visitor=0", "950 visitor=True country="],
            seen);
        Assert.NotNull(hit);
        Assert.Equal("/changed", hit.Path);
        Assert.Equal("v", hit.Properties["k"]);
        Assert.Equal("Hacker News", hit.ReferrerSource);
        Assert.NotEqual(0, hit.VisitorId);
    }

    [Fact]
    public void Build_CustomStepReplacesTheHit_LaterBuiltInStepsWorkOnTheReplacement()
    {
        var factory = Factory(out _, new Step(450, c => c.Hit = new Hit { SiteId = c.Hit.SiteId, Timestamp = c.Hit.Timestamp, Path = "/new" }));

        var hit = Build(factory, "https://www.google.com/");

        Assert.NotNull(hit);
        Assert.Equal("/new", hit.Path);
        Assert.Null(hit.Browser); // set before the replacement, gone with it
        Assert.NotEqual(0, hit.VisitorId); // the visitor-id step ran after it
    }

    [Fact]
    public void Build_CustomStepDrops_TheHitIsDroppedWithItsReason()
    {
        var factory = Factory(out _, new Step(250, c => c.Drop("internal_traffic")));

        var result = factory.Build(new HitInput("https://example.com/x", null, null, null, null), Signals());

        Assert.Null(result.Hit);
        Assert.Equal("internal_traffic", result.DropReason);
    }

    [Theory]
    [InlineData("https://www.google.com/search?q=x")]
    [InlineData("https://WWW.Google.CO.UK./")]
    [InlineData("http://semalt.com/")]
    [InlineData("http://x.y.semalt.com/page")]
    [InlineData("https://news.ycombinator.com/")]
    [InlineData("https://bücher.example/")]
    [InlineData("https://xn--bcher-kva.example:8443/a")]
    [InlineData("https://t.co/abc")]
    [InlineData("https://l.facebook.com/")]
    [InlineData("https://chatgpt.com/")]
    [InlineData("https://www.example.com/")]
    [InlineData("https://sub.example.com/")]
    [InlineData("http://192.0.2.7/")]
    [InlineData("http://[2001:db8::1]/")]
    [InlineData(" https://www.bing.com/ ")]
    [InlineData("https://duckduckgo.com/\u0007")]
    public void ReferrerStep_ParsedHost_GivesWhatTheReferrerUrlGives(string referrer)
    {
        // The same pipeline, once with the host HitFactory parsed and once made to parse the URL again (a custom step
        // hands the referrer back as a new string, so the draft's parsed host no longer applies).
        var fast = Build(Factory(out _), referrer);
        var slow = Build(Factory(out _, new Step(HitEnricherOrder.Referrer - 1, c => c.Hit = c.Hit with { Referrer = c.Hit.Referrer is { } r ? new string(r) : null })), referrer);

        Assert.Equal(slow?.ReferrerSource, fast?.ReferrerSource);
        Assert.Equal(slow?.Channel, fast?.Channel);
        Assert.Equal(slow?.Referrer, fast?.Referrer);
        Assert.Equal(slow is null, fast is null);
    }

    [Fact]
    public void BuiltInStep_RunOnItsOwnContext_FillsTheHitAsInThePipeline()
    {
        var provider = Provider();
        var steps = provider.GetServices<IHitEnricher>().OrderBy(s => s.Order).ToList();
        var hit = new Hit { SiteId = "example.com", Timestamp = DateTimeOffset.UnixEpoch, Path = "/", Hostname = "example.com", Referrer = "https://www.google.com/" };
        var context = new HitEnrichmentContext(hit, Signals(), TimeZoneInfo.Utc);

        foreach (var step in steps)
        {
            step.Enrich(context);
        }

        Assert.Null(context.DropReason);
        Assert.Equal(("Google", "Firefox"), (context.Hit.ReferrerSource, context.Hit.Browser));
        Assert.NotEqual(0, context.Hit.VisitorId);
        Assert.Equal(hit.Id, context.Hit.Id);
        Assert.IsType<BotVerdict>(context.Items["bot"]);
    }

    private static Hit? Build(HitFactory factory, string referrer) =>
        factory.Build(new HitInput("https://example.com/pricing", referrer, null, 1920, null), Signals()).Hit;

    private static HitRequestSignals Signals() => FirefoxSignals.Create();

    private static HitFactory Factory(out BeaconMetrics metrics, params IHitEnricher[] steps)
    {
        var provider = Provider(steps);
        metrics = provider.GetRequiredService<BeaconMetrics>();
        return provider.GetRequiredService<HitFactory>();
    }

    private static ServiceProvider Provider(params IHitEnricher[] steps)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var builder = services.AddBeacon(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", Hostnames = { "example.com" } })).UseInMemory();
        foreach (var step in steps)
        {
            builder.AddEnricher(step);
        }

        return services.BuildServiceProvider();
    }

    private sealed class Step(int order, Action<HitEnrichmentContext> enrich) : IHitEnricher
    {
        public int Order => order;

        public void Enrich(HitEnrichmentContext context) => enrich(context);
    }
}
