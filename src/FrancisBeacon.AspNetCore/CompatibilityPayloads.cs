using System.Globalization;
using System.Text.Json;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Plausible's event JSON (<c>POST /api/event</c>): <c>n</c>/<c>name</c>, <c>u</c>/<c>url</c>, <c>d</c>/<c>domain</c>,
/// <c>r</c>/<c>referrer</c>, <c>w</c>/<c>screen_width</c>, <c>p</c>/<c>props</c> (also the older <c>m</c>/<c>meta</c>;
/// an object or that object encoded as a JSON string), <c>$</c>/<c>revenue</c>. Other fields (<c>h</c>, <c>i</c>,
/// <c>v</c>, engagement timings) are ignored.
/// </summary>
internal static class PlausiblePayload
{
    /// <summary>Plausible's tracker sends this event for time-on-page and scroll depth; it is not a custom event.</summary>
    public const string EngagementEvent = "engagement";

    public static bool TryParse(byte[] body, out HitInput input, out string error)
    {
        var ok = CompatibilityJson.TryParseObject(body, out error, root =>
        {
            string? name = null, url = null, domain = null, referrer = null;
            int? width = null;
            Dictionary<string, string>? props = null;
            (decimal? Amount, string? Currency) revenue = (null, null);
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "n" or "name":
                        name = EventPayload.StringOrNull(property.Value, "name");
                        break;
                    case "u" or "url":
                        url = EventPayload.StringOrNull(property.Value, "url");
                        break;
                    case "d" or "domain":
                        domain = EventPayload.StringOrNull(property.Value, "domain");
                        break;
                    case "r" or "referrer":
                        referrer = EventPayload.StringOrNull(property.Value, "referrer");
                        break;
                    case "w" or "screen_width":
                        width = CompatibilityJson.IntOrNull(property.Value, "screen_width");
                        break;
                    case "p" or "props" or "m" or "meta":
                        props = CompatibilityJson.Props(property.Value);
                        break;
                    case "$" or "revenue":
                        revenue = Revenue.FromJson(property.Value);
                        break;
                    default:
                        break;
                }
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                throw new FormatException("name (n) is required.");
            }

            return new HitInput(url, referrer, name, width, props, domain, revenue.Amount, revenue.Currency);
        }, out var parsed);
        input = parsed ?? new HitInput(null, null, null, null, null);
        return ok;
    }
}

/// <summary>
/// Umami's send JSON (<c>POST /api/send</c>): <c>{"type":"event","payload":{"website","hostname","url","referrer",
/// "screen","language","title","name","data"}}</c>. <c>url</c> is the path (with query string) or, from newer
/// trackers, the whole URL; the page is <c>{scheme}://{hostname}{url}</c>. <c>title</c> and <c>language</c> are
/// ignored (the language comes from <c>Accept-Language</c>, as for every hit).
/// </summary>
internal static class UmamiPayload
{
    /// <summary>Parses the body; <paramref name="input"/> is <see langword="null"/> for types that record nothing (<c>identify</c>).</summary>
    public static bool TryParse(byte[] body, string scheme, out HitInput? input, out string error)
    {
        var ok = CompatibilityJson.TryParseObject(body, out error, root =>
        {
            string? type = null;
            JsonElement? payload = null;
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name == "type")
                {
                    type = EventPayload.StringOrNull(property.Value, "type");
                }
                else if (property.Name == "payload")
                {
                    payload = property.Value.ValueKind == JsonValueKind.Object
                        ? property.Value
                        : throw new FormatException("payload must be an object.");
                }
            }

            if (type is not null && type != "event")
            {
                return null; // "identify" and future types: accepted, nothing to record
            }

            if (payload is not { } p)
            {
                throw new FormatException("payload is required.");
            }

            string? website = null, hostname = null, url = null, referrer = null, name = null;
            int? width = null;
            Dictionary<string, string>? props = null;
            foreach (var property in p.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "website":
                        website = EventPayload.StringOrNull(property.Value, "website");
                        break;
                    case "hostname":
                        hostname = EventPayload.StringOrNull(property.Value, "hostname");
                        break;
                    case "url":
                        url = EventPayload.StringOrNull(property.Value, "url");
                        break;
                    case "referrer":
                        referrer = EventPayload.StringOrNull(property.Value, "referrer");
                        break;
                    case "name":
                        name = EventPayload.StringOrNull(property.Value, "name");
                        break;
                    case "screen":
                        width = ScreenWidth(EventPayload.StringOrNull(property.Value, "screen"));
                        break;
                    case "data":
                        props = CompatibilityJson.Props(property.Value);
                        break;
                    default:
                        break; // title, language, tag, id, ...
                }
            }

            var page = PageUrl(scheme, hostname, url);
            return new HitInput(page, Referrer(page, referrer), name, width, props, website);
        }, out var parsed);
        input = parsed;
        return ok;
    }

    private static string? PageUrl(string scheme, string? hostname, string? url)
    {
        if (url is not null && Uri.TryCreate(url, UriKind.Absolute, out var absolute) && (absolute.Scheme == Uri.UriSchemeHttp || absolute.Scheme == Uri.UriSchemeHttps))
        {
            return url;
        }

        if (string.IsNullOrWhiteSpace(hostname))
        {
            throw new FormatException("payload.hostname is required.");
        }

        if (Uri.CheckHostName(hostname) == UriHostNameType.Unknown)
        {
            throw new FormatException("payload.hostname is not a host name.");
        }

        var path = string.IsNullOrEmpty(url) ? "/" : url[0] == '/' ? url : "/" + url;
        return $"{scheme}://{hostname}{path}";
    }

    /// <summary>Umami sends the previous path as the referrer after an in-app navigation; that is an internal referrer.</summary>
    private static string? Referrer(string? page, string? referrer)
    {
        if (string.IsNullOrWhiteSpace(referrer))
        {
            return null;
        }

        return referrer[0] == '/' && page is not null && Uri.TryCreate(new Uri(page), referrer, out var resolved)
            ? resolved.ToString()
            : referrer;
    }

    private static int? ScreenWidth(string? screen)
    {
        if (string.IsNullOrEmpty(screen))
        {
            return null;
        }

        var x = screen.IndexOf('x', StringComparison.Ordinal);
        return int.TryParse(x < 0 ? screen : screen[..x], NumberStyles.None, CultureInfo.InvariantCulture, out var width) ? width : null;
    }
}

/// <summary>What the compatibility parsers share.</summary>
internal static class CompatibilityJson
{
    /// <summary>Parses a UTF-8 JSON object and maps it; client mistakes become <paramref name="error"/>, never exceptions.</summary>
    public static bool TryParseObject<T>(byte[] body, out string error, Func<JsonElement, T> map, out T? result)
    {
        result = default;
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            error = "The body is not valid UTF-8.";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return false;
            }

            result = map(document.RootElement);
            error = string.Empty;
            return true;
        }
        catch (JsonException)
        {
            error = "The body is not valid JSON.";
            return false;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            error = "The body is not valid UTF-8 JSON.";
            return false;
        }
    }

    /// <summary>Props as an object or as a JSON string holding one; nested values are left out, as the originals do.</summary>
    public static Dictionary<string, string>? Props(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (text.Length == 0)
            {
                return null;
            }

            using var inner = Revenue.ParseEmbedded(text, "props");
            return EventPayload.ParseProps(inner.RootElement, skipNested: true);
        }

        return EventPayload.ParseProps(value, skipNested: true);
    }

    public static int? IntOrNull(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt32(out var n) => n,
        JsonValueKind.Null => null,
        _ => throw new FormatException($"{field} must be an integer."),
    };
}
