using System.Collections.Frozen;

namespace FrancisBeacon.Enrichment;

/// <summary>What kind of site a known source is; decides its channel.</summary>
internal enum SourceCategory
{
    None,
    Search,
    Social,
    Video,
    Shopping,
    Email,
    AiAssistant,
}

/// <summary>A known source: its display name and category.</summary>
internal sealed record KnownSource(string Name, SourceCategory Category);

/// <summary>
/// The table of known referrer sources behind <see cref="ReferrerClassifier"/>: host names, UTM spellings and
/// brands that live under many country domains (google.de, amazon.co.uk).
/// </summary>
internal static class KnownSources
{
    private static readonly FrozenDictionary<string, KnownSource> s_byHost;
    private static readonly FrozenDictionary<string, KnownSource> s_byAlias;
    private static readonly FrozenDictionary<string, KnownSource> s_byBrand;

    static KnownSources()
    {
        var byHost = new Dictionary<string, KnownSource>(StringComparer.Ordinal);
        var byAlias = new Dictionary<string, KnownSource>(StringComparer.OrdinalIgnoreCase);
        var byBrand = new Dictionary<string, KnownSource>(StringComparer.Ordinal);

        void Add(string name, SourceCategory category, params string[] keys)
        {
            var source = new KnownSource(name, category);
            byAlias[name] = source;
            foreach (var key in keys)
            {
                if (key.StartsWith('*'))
                {
                    byBrand[key[1..]] = source;
                    byAlias[key[1..]] = source;
                }
                else if (key.Contains('.', StringComparison.Ordinal))
                {
                    byHost[key] = source;
                    byAlias[key] = source;
                }
                else
                {
                    byAlias[key] = source;
                }
            }
        }

        // Keys: "host.name" (and its subdomains), "*brand" (brand.<country tld>), or a utm_source spelling.
        Add("Google", SourceCategory.Search, "*google", "com.google.android.googlequicksearchbox", "googlequicksearchbox");
        Add("Bing", SourceCategory.Search, "bing.com");
        Add("Yahoo!", SourceCategory.Search, "*yahoo", "yahoo");
        Add("DuckDuckGo", SourceCategory.Search, "duckduckgo.com", "duck.com", "ddg");
        Add("Ecosia", SourceCategory.Search, "ecosia.org");
        Add("Baidu", SourceCategory.Search, "*baidu");
        Add("Yandex", SourceCategory.Search, "*yandex", "ya.ru");
        Add("Brave", SourceCategory.Search, "search.brave.com");
        Add("Startpage", SourceCategory.Search, "startpage.com");
        Add("Qwant", SourceCategory.Search, "qwant.com");
        Add("Naver", SourceCategory.Search, "naver.com");
        Add("Seznam", SourceCategory.Search, "seznam.cz");
        Add("Sogou", SourceCategory.Search, "sogou.com");
        Add("Ask", SourceCategory.Search, "ask.com");
        Add("AOL", SourceCategory.Search, "aol.com");
        Add("Kagi", SourceCategory.Search, "kagi.com");
        Add("Mojeek", SourceCategory.Search, "mojeek.com");
        Add("Daum", SourceCategory.Search, "daum.net");
        Add("Coc Coc", SourceCategory.Search, "coccoc.com");

        // AI assistants, with their Android apps' package names (android-app:// referrers).
        Add("ChatGPT", SourceCategory.AiAssistant, "chatgpt.com", "chat.openai.com", "com.openai.chatgpt");
        Add("Claude", SourceCategory.AiAssistant, "claude.ai", "com.anthropic.claude");
        Add("Perplexity", SourceCategory.AiAssistant, "perplexity.ai", "ai.perplexity.app.android");
        Add("Google Gemini", SourceCategory.AiAssistant, "gemini.google.com", "bard.google.com", "com.google.android.apps.bard", "gemini");
        Add("Copilot", SourceCategory.AiAssistant, "copilot.microsoft.com", "copilot.cloud.microsoft", "com.microsoft.copilot", "copilot");
        Add("Mistral Le Chat", SourceCategory.AiAssistant, "chat.mistral.ai");
        Add("DeepSeek", SourceCategory.AiAssistant, "chat.deepseek.com", "deepseek.com");
        Add("Grok", SourceCategory.AiAssistant, "grok.com");
        Add("Phind", SourceCategory.AiAssistant, "phind.com");

        Add("Facebook", SourceCategory.Social, "facebook.com", "fb.com", "fb.me", "com.facebook.katana", "fb");
        Add("Instagram", SourceCategory.Social, "instagram.com", "com.instagram.android", "ig");
        Add("Twitter", SourceCategory.Social, "twitter.com", "t.co", "x.com", "x", "x (twitter)");
        Add("LinkedIn", SourceCategory.Social, "linkedin.com", "lnkd.in", "com.linkedin.android");
        Add("Reddit", SourceCategory.Social, "reddit.com", "redd.it", "com.reddit.frontpage");
        Add("Hacker News", SourceCategory.Social, "news.ycombinator.com", "hackernews", "hn");
        Add("GitHub", SourceCategory.Social, "github.com");
        Add("Pinterest", SourceCategory.Social, "*pinterest", "pin.it");
        Add("TikTok", SourceCategory.Social, "tiktok.com");
        Add("VKontakte", SourceCategory.Social, "vk.com", "vk.ru", "vk");
        Add("Telegram", SourceCategory.Social, "t.me", "telegram.org", "telegram.me", "org.telegram.messenger");
        Add("Discord", SourceCategory.Social, "discord.com", "discordapp.com", "discord.gg");
        Add("Slack", SourceCategory.Social, "slack.com", "com.slack");
        Add("Threads", SourceCategory.Social, "threads.net", "threads.com");
        Add("Bluesky", SourceCategory.Social, "bsky.app", "bsky");
        Add("Mastodon", SourceCategory.Social, "mastodon.social");
        Add("Quora", SourceCategory.Social, "quora.com");
        Add("Product Hunt", SourceCategory.Social, "producthunt.com", "producthunt");
        Add("Stack Overflow", SourceCategory.Social, "stackoverflow.com", "stackoverflow");
        Add("Tumblr", SourceCategory.Social, "tumblr.com");
        Add("WhatsApp", SourceCategory.Social, "whatsapp.com", "wa.me", "com.whatsapp");
        Add("Snapchat", SourceCategory.Social, "snapchat.com");
        Add("Medium", SourceCategory.Social, "medium.com");
        Add("Microsoft Teams", SourceCategory.Social, "teams.microsoft.com", "statics.teams.cdn.office.net", "teams");
        Add("Weibo", SourceCategory.Social, "weibo.com", "weibo.cn");
        Add("Xing", SourceCategory.Social, "xing.com");
        Add("Line", SourceCategory.Social, "line.me");
        Add("Steam", SourceCategory.Social, "steamcommunity.com");

        Add("YouTube", SourceCategory.Video, "youtube.com", "youtu.be", "com.google.android.youtube", "yt");
        Add("Vimeo", SourceCategory.Video, "vimeo.com");
        Add("Twitch", SourceCategory.Video, "twitch.tv");
        Add("Dailymotion", SourceCategory.Video, "dailymotion.com");

        Add("Amazon", SourceCategory.Shopping, "*amazon");
        Add("eBay", SourceCategory.Shopping, "*ebay");
        Add("Etsy", SourceCategory.Shopping, "etsy.com");
        Add("AliExpress", SourceCategory.Shopping, "aliexpress.com", "aliexpress.us");
        Add("Temu", SourceCategory.Shopping, "temu.com");
        Add("Walmart", SourceCategory.Shopping, "walmart.com");
        Add("Shopify", SourceCategory.Shopping, "shopify.com");

        Add("Gmail", SourceCategory.Email, "mail.google.com", "com.google.android.gm");
        Add("Outlook.com", SourceCategory.Email, "outlook.live.com", "outlook.office.com", "outlook.office365.com", "outlook");
        Add("Yahoo! Mail", SourceCategory.Email, "mail.yahoo.com");
        Add("Proton Mail", SourceCategory.Email, "mail.proton.me");

        Add("Wikipedia", SourceCategory.None, "wikipedia.org");
        Add("Google Docs", SourceCategory.None, "docs.google.com");
        Add("Google Drive", SourceCategory.None, "drive.google.com");
        Add("Firebase", SourceCategory.None);

        s_byHost = byHost.ToFrozenDictionary(StringComparer.Ordinal);
        s_byAlias = byAlias.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        s_byBrand = byBrand.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The known source of a lower-case host name without a trailing dot, or <see langword="null"/>.</summary>
    public static KnownSource? ForHost(string host)
    {
        // The host itself, then each parent domain: l.facebook.com -> facebook.com.
        var candidate = host.AsSpan();
        var lookup = s_byHost.GetAlternateLookup<ReadOnlySpan<char>>();
        while (true)
        {
            if (lookup.TryGetValue(candidate, out var source))
            {
                return source;
            }

            var dot = candidate.IndexOf('.');
            if (dot < 0 || candidate[(dot + 1)..].IndexOf('.') < 0)
            {
                break;
            }

            candidate = candidate[(dot + 1)..];
        }

        return ForBrandDomain(host);
    }

    /// <summary>The known source a <c>utm_source</c> spells, case-insensitively, or <see langword="null"/>.</summary>
    public static KnownSource? ForAlias(string value) =>
        s_byAlias.TryGetValue(value, out var source) ? source : null;

    /// <summary>brand.tld, brand.co.uk, www.brand.com.br: a brand label followed by one or two short labels.</summary>
    private static KnownSource? ForBrandDomain(string host)
    {
        var labels = host.Split('.');
        for (var i = labels.Length - 2; i >= 0 && i >= labels.Length - 3; i--)
        {
            if (!s_byBrand.TryGetValue(labels[i], out var source))
            {
                continue;
            }

            var suffixIsShort = true;
            for (var j = i + 1; j < labels.Length; j++)
            {
                suffixIsShort &= labels[j].Length is > 0 and <= 3;
            }

            if (suffixIsShort)
            {
                return source;
            }
        }

        return null;
    }
}
