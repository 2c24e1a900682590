namespace FrancisBeacon.Enrichment.Tests;

public sealed class ReferrerClassifierTests
{
    private static TrafficSource FromReferrer(string? referrer, string? pageHost = "example.org") =>
        ReferrerClassifier.Classify(new ReferrerSignals { Referrer = referrer, PageHost = pageHost });

    private static TrafficSource FromUtm(string? source, string? medium = null, string? campaign = null) =>
        ReferrerClassifier.Classify(new ReferrerSignals { UtmSource = source, UtmMedium = medium, UtmCampaign = campaign });

    [Theory]
    [InlineData("https://www.google.com/", "Google", TrafficChannels.OrganicSearch)]
    [InlineData("https://www.google.co.uk/", "Google", TrafficChannels.OrganicSearch)]
    [InlineData("https://google.de/search?q=x", "Google", TrafficChannels.OrganicSearch)]
    [InlineData("https://www.google.com.br/", "Google", TrafficChannels.OrganicSearch)]
    [InlineData("android-app://com.google.android.googlequicksearchbox/", "Google", TrafficChannels.OrganicSearch)]
    [InlineData("https://www.bing.com/", "Bing", TrafficChannels.OrganicSearch)]
    [InlineData("https://duckduckgo.com/", "DuckDuckGo", TrafficChannels.OrganicSearch)]
    [InlineData("https://www.ecosia.org/", "Ecosia", TrafficChannels.OrganicSearch)]
    [InlineData("https://search.yahoo.com/", "Yahoo!", TrafficChannels.OrganicSearch)]
    [InlineData("https://search.yahoo.co.jp/", "Yahoo!", TrafficChannels.OrganicSearch)]
    [InlineData("https://www.baidu.com/", "Baidu", TrafficChannels.OrganicSearch)]
    [InlineData("https://yandex.ru/", "Yandex", TrafficChannels.OrganicSearch)]
    [InlineData("https://search.brave.com/", "Brave", TrafficChannels.OrganicSearch)]
    [InlineData("https://t.co/abc", "Twitter", TrafficChannels.OrganicSocial)]
    [InlineData("https://twitter.com/", "Twitter", TrafficChannels.OrganicSocial)]
    [InlineData("https://x.com/", "Twitter", TrafficChannels.OrganicSocial)]
    [InlineData("https://l.facebook.com/", "Facebook", TrafficChannels.OrganicSocial)]
    [InlineData("https://m.facebook.com/", "Facebook", TrafficChannels.OrganicSocial)]
    [InlineData("https://www.facebook.com/", "Facebook", TrafficChannels.OrganicSocial)]
    [InlineData("https://www.linkedin.com/", "LinkedIn", TrafficChannels.OrganicSocial)]
    [InlineData("https://old.reddit.com/r/dotnet", "Reddit", TrafficChannels.OrganicSocial)]
    [InlineData("https://github.com/", "GitHub", TrafficChannels.OrganicSocial)]
    [InlineData("https://news.ycombinator.com/", "Hacker News", TrafficChannels.OrganicSocial)]
    [InlineData("https://www.youtube.com/", "YouTube", TrafficChannels.OrganicVideo)]
    [InlineData("https://www.amazon.de/", "Amazon", TrafficChannels.OrganicShopping)]
    [InlineData("https://chatgpt.com/", "ChatGPT", TrafficChannels.AiAssistants)]
    [InlineData("https://www.perplexity.ai/", "Perplexity", TrafficChannels.AiAssistants)]
    [InlineData("https://mail.google.com/", "Gmail", TrafficChannels.Email)]
    [InlineData("android-app://com.google.android.gm/", "Gmail", TrafficChannels.Email)]
    [InlineData("https://en.wikipedia.org/wiki/Beacon", "Wikipedia", TrafficChannels.Referral)]
    [InlineData("https://www.markosaric.com/post", "markosaric.com", TrafficChannels.Referral)]
    [InlineData("https://blog.example.net/", "blog.example.net", TrafficChannels.Referral)]
    [InlineData("www.google.com", "Google", TrafficChannels.OrganicSearch)]
    [InlineData("news.ycombinator.com", "Hacker News", TrafficChannels.OrganicSocial)]
    public void Classify_Referrer_GivesSourceAndChannel(string referrer, string source, string channel)
    {
        Assert.Equal(new TrafficSource(source, channel), FromReferrer(referrer));
    }

    [Theory]
    [InlineData("https://chatgpt.com/", "ChatGPT")]
    [InlineData("https://chat.openai.com/c/abc", "ChatGPT")]
    [InlineData("android-app://com.openai.chatgpt/", "ChatGPT")]
    [InlineData("https://www.perplexity.ai/search/x", "Perplexity")]
    [InlineData("https://perplexity.ai/", "Perplexity")]
    [InlineData("https://claude.ai/chat/1", "Claude")]
    [InlineData("https://gemini.google.com/app", "Google Gemini")]
    [InlineData("https://copilot.microsoft.com/", "Copilot")]
    [InlineData("https://chat.deepseek.com/", "DeepSeek")]
    [InlineData("https://chat.mistral.ai/chat", "Mistral Le Chat")]
    public void Classify_AiAssistantReferrer_IsTheAiAssistantsChannel(string referrer, string source)
    {
        Assert.Equal(new TrafficSource(source, TrafficChannels.AiAssistants), FromReferrer(referrer));
    }

    [Theory]
    [InlineData("chatgpt.com", "ChatGPT")]
    [InlineData("ChatGPT", "ChatGPT")]
    [InlineData("perplexity", "Perplexity")]
    [InlineData("claude.ai", "Claude")]
    [InlineData("gemini", "Google Gemini")]
    [InlineData("copilot", "Copilot")]
    public void Classify_AiAssistantUtmSource_IsTheAiAssistantsChannel(string utmSource, string source)
    {
        Assert.Equal(new TrafficSource(source, TrafficChannels.AiAssistants), FromUtm(utmSource));
    }

    [Fact]
    public void Classify_GoogleSearchBesideGemini_StaysOrganicSearch()
    {
        Assert.Equal(new TrafficSource("Google", TrafficChannels.OrganicSearch), FromReferrer("https://www.google.com/search?q=gemini"));
    }

    [Theory]
    [InlineData("https://googleusercontent.com/")]
    [InlineData("https://notgoogle.com/")]
    [InlineData("https://google.example.com/")]
    public void Classify_HostThatOnlyContainsABrandName_IsNotTheBrand(string referrer)
    {
        var result = FromReferrer(referrer);

        Assert.NotEqual("Google", result.Source);
        Assert.Equal(TrafficChannels.Referral, result.Channel);
    }

    [Fact]
    public void Classify_Nothing_IsDirect()
    {
        Assert.Equal(new TrafficSource(null, TrafficChannels.Direct), ReferrerClassifier.Classify(new ReferrerSignals()));
    }

    [Theory]
    [InlineData("https://example.org/other-page")]
    [InlineData("https://www.example.org/")]
    [InlineData("https://localhost:5001/")]
    public void Classify_InternalReferrer_IsDirect(string referrer)
    {
        Assert.Equal(new TrafficSource(null, TrafficChannels.Direct), FromReferrer(referrer, "example.org"));
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("javascript:alert(1)")]
    [InlineData("ftp://files.example.com/")]
    [InlineData("https://")]
    [InlineData("https://exa\u0000mple.com/")]
    [InlineData("\u0001\u0002")]
    public void Classify_UnusableReferrer_IsDirect(string referrer)
    {
        Assert.Equal(new TrafficSource(null, TrafficChannels.Direct), FromReferrer(referrer));
    }

    [Fact]
    public void Classify_HugeReferrer_DoesNotThrow()
    {
        var result = FromReferrer("https://" + new string('a', 10 * 1024) + ".com/");

        Assert.Equal(TrafficChannels.Direct, result.Channel);
    }

    [Fact]
    public void Classify_NullSignals_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => ReferrerClassifier.Classify(null!));
    }

    [Theory]
    [InlineData("google", "Google")]
    [InlineData("GOOGLE", "Google")]
    [InlineData("fb", "Facebook")]
    [InlineData("ig", "Instagram")]
    [InlineData("yt", "YouTube")]
    [InlineData("x", "Twitter")]
    [InlineData("hn", "Hacker News")]
    [InlineData("t.co", "Twitter")]
    [InlineData("duckduckgo", "DuckDuckGo")]
    [InlineData("my-partner", "my-partner")]
    [InlineData("  Spring Newsletter  ", "Spring Newsletter")]
    public void Classify_UtmSource_NamesTheSourceCaseInsensitively(string utmSource, string expected)
    {
        Assert.Equal(expected, FromUtm(utmSource).Source);
    }

    [Fact]
    public void Classify_UtmSourceAndReferrer_UtmSourceWins()
    {
        var result = ReferrerClassifier.Classify(new ReferrerSignals { Referrer = "https://www.bing.com/", UtmSource = "newsletter" });

        Assert.Equal(new TrafficSource("newsletter", TrafficChannels.Email), result);
    }

    [Fact]
    public void Classify_LongUtmSource_IsCutToShortTextLength()
    {
        var result = FromUtm(new string('s', 1000));

        Assert.Equal(HitLimits.MaxShortTextLength, result.Source!.Length);
    }

    [Theory]
    [InlineData("google", "cpc", null, null, "Google", TrafficChannels.PaidSearch)]
    [InlineData("bing", "ppc", null, null, "Bing", TrafficChannels.PaidSearch)]
    [InlineData("adwords", null, null, null, "Google", TrafficChannels.PaidSearch)]
    [InlineData("googleads", null, null, null, "Google", TrafficChannels.PaidSearch)]
    [InlineData("facebook", "paid_social", null, null, "Facebook", TrafficChannels.PaidSocial)]
    [InlineData("fb-ads", null, null, null, "Facebook", TrafficChannels.PaidSocial)]
    [InlineData("facebook_feed_ad", null, null, null, "Facebook", TrafficChannels.PaidSocial)]
    [InlineData("yt-ads", null, null, null, "YouTube", TrafficChannels.PaidVideo)]
    [InlineData("amazon", "cpc", null, null, "Amazon", TrafficChannels.PaidShopping)]
    [InlineData("partner", "cpc", "spring-shop", null, "partner", TrafficChannels.PaidShopping)]
    [InlineData("partner", "display", null, null, "partner", TrafficChannels.Display)]
    [InlineData("partner", "banner", null, null, "partner", TrafficChannels.Display)]
    [InlineData("partner", "cpc", null, null, "partner", TrafficChannels.PaidOther)]
    [InlineData("partner", "retargeting", null, null, "partner", TrafficChannels.PaidOther)]
    [InlineData("amazon", null, null, null, "Amazon", TrafficChannels.OrganicShopping)]
    [InlineData("partner", null, "black-friday-shopping", null, "partner", TrafficChannels.OrganicShopping)]
    [InlineData("partner", null, "eshop-launch", null, "partner", TrafficChannels.OrganicShopping)]
    [InlineData("partner", null, "workshop", null, "partner", TrafficChannels.Referral)]
    [InlineData("partner", "social", null, null, "partner", TrafficChannels.OrganicSocial)]
    [InlineData("partner", "product-video", null, null, "partner", TrafficChannels.OrganicVideo)]
    [InlineData("partner", "organic", null, null, "partner", TrafficChannels.OrganicSearch)]
    [InlineData("newsletter", null, null, null, "newsletter", TrafficChannels.Email)]
    [InlineData("partner", "email", null, null, "partner", TrafficChannels.Email)]
    [InlineData("gmail", null, null, null, "Gmail", TrafficChannels.Email)]
    [InlineData("partner", "affiliate", null, null, "partner", TrafficChannels.Affiliates)]
    [InlineData("partner", "audio", null, null, "partner", TrafficChannels.Audio)]
    [InlineData("sms", null, null, null, "sms", TrafficChannels.Sms)]
    [InlineData("partner", "web-push", null, null, "partner", TrafficChannels.MobilePushNotifications)]
    [InlineData("firebase", null, null, null, "Firebase", TrafficChannels.MobilePushNotifications)]
    [InlineData("partner", null, "q3-cross-network", null, "partner", TrafficChannels.CrossNetwork)]
    [InlineData("partner", null, null, null, "partner", TrafficChannels.Referral)]
    [InlineData(null, "referral", null, null, null, TrafficChannels.Referral)]
    [InlineData("chatgpt.com", null, null, null, "ChatGPT", TrafficChannels.AiAssistants)]
    public void Classify_UtmTags_FollowPlausibleChannelRules(
        string? utmSource, string? utmMedium, string? utmCampaign, string? clickId, string? source, string channel)
    {
        var result = ReferrerClassifier.Classify(new ReferrerSignals
        {
            UtmSource = utmSource,
            UtmMedium = utmMedium,
            UtmCampaign = utmCampaign,
            ClickIdParameter = clickId,
        });

        Assert.Equal(new TrafficSource(source, channel), result);
    }

    [Theory]
    [InlineData("https://www.google.com/", "gclid", TrafficChannels.PaidSearch)]
    [InlineData("https://www.bing.com/", "msclkid", TrafficChannels.PaidSearch)]
    [InlineData("https://www.bing.com/", "gclid", TrafficChannels.OrganicSearch)]
    [InlineData("https://www.google.com/", null, TrafficChannels.OrganicSearch)]
    public void Classify_ClickId_MarksOnlyItsOwnNetworkAsPaid(string referrer, string? clickId, string channel)
    {
        var result = ReferrerClassifier.Classify(new ReferrerSignals { Referrer = referrer, ClickIdParameter = clickId });

        Assert.Equal(channel, result.Channel);
    }
}
