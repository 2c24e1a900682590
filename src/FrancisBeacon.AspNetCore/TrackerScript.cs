using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Razor.TagHelpers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The tracker script as served by <c>UseBeacon</c>: <c>{prefix}/script.js</c> (cached for an hour, revalidated by
/// ETag) and <c>{prefix}/script.{version}.js</c>, whose content never changes (cached for a year, immutable, safe
/// for <c>integrity=</c>).
/// </summary>
public sealed partial class TrackerScript
{
    private TrackerScript(byte[] content)
    {
        Content = content;
        var sha256 = SHA256.HashData(content);
        Version = Convert.ToHexStringLower(sha256.AsSpan(0, 6));
        ETag = $"\"{Version}\"";
        Integrity = "sha384-" + Convert.ToBase64String(SHA384.HashData(content));
    }

    /// <summary>The script's bytes (UTF-8).</summary>
    public ReadOnlyMemory<byte> Content { get; }

    /// <summary>A short content hash that names this version of the script.</summary>
    public string Version { get; }

    /// <summary>The value for a <c>&lt;script integrity="…"&gt;</c> attribute.</summary>
    public string Integrity { get; }

    internal string ETag { get; }

    /// <summary>The script shipped in this assembly.</summary>
    public static TrackerScript Instance { get; } = Load();

    /// <summary>
    /// The <c>&lt;script&gt;</c> tag for a page of this app: versioned URL under the app's path base and the beacon's
    /// prefix, subresource integrity, <c>defer</c>, and the queue stub so <c>window.beacon(...)</c> works at once.
    /// </summary>
    /// <param name="context">The current request (for its path base).</param>
    /// <param name="domain">The site id to report, when the page's host name is not enough.</param>
    /// <param name="attributes">Further <c>data-*</c> settings, e.g. <c>("outbound", "")</c>; names without the prefix.</param>
    public static string Tag(HttpContext context, string? domain = null, params (string Name, string? Value)[] attributes)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = context.RequestServices.GetRequiredService<IOptions<BeaconOptions>>().Value;
        var script = Instance;
        var src = $"{context.Request.PathBase}{options.PathPrefix}/script.{script.Version}.js";
        var html = HtmlEncoder.Default;
        var tag = new StringBuilder();
        tag.Append("<script defer src=\"").Append(html.Encode(src)).Append("\" integrity=\"").Append(script.Integrity).Append("\" crossorigin=\"anonymous\"");
        if (!string.IsNullOrEmpty(domain))
        {
            tag.Append(" data-domain=\"").Append(html.Encode(domain)).Append('"');
        }

        foreach (var (name, value) in attributes)
        {
            if (string.IsNullOrWhiteSpace(name) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                throw new ArgumentException($"'{name}' is not a valid data- attribute name.", nameof(attributes));
            }

            tag.Append(" data-").Append(name.ToLowerInvariant());
            if (value is not null)
            {
                tag.Append("=\"").Append(html.Encode(value)).Append('"');
            }
        }

        tag.Append("></script><script>window.beacon=window.beacon||function(){(window.beacon.q=window.beacon.q||[]).push(arguments)}</script>");
        return tag.ToString();
    }

    internal async Task ServeAsync(HttpContext context, bool immutable)
    {
        var response = context.Response;
        response.Headers.ETag = ETag;
        response.Headers.CacheControl = immutable ? "public, max-age=31536000, immutable" : "public, max-age=3600, must-revalidate";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        if (context.Request.Headers.IfNoneMatch.ToString() == ETag)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/javascript; charset=utf-8";
        response.ContentLength = Content.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(Content, context.RequestAborted);
        }
    }

    private static TrackerScript Load()
    {
        using var stream = typeof(TrackerScript).Assembly.GetManifestResourceStream("FrancisBeacon.AspNetCore.Tracker.script.js")
            ?? throw new InvalidOperationException("The tracker script is missing from FrancisBeacon.AspNetCore.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return new TrackerScript(buffer.ToArray());
    }
}

/// <summary>
/// <c>&lt;beacon-script /&gt;</c>: writes the tracker's script tag in a Razor layout. Add
/// <c>@addTagHelper *, FrancisBeacon.AspNetCore</c> to <c>_ViewImports.cshtml</c>.
/// </summary>
[HtmlTargetElement("beacon-script", TagStructure = TagStructure.WithoutEndTag)]
public sealed class BeaconScriptTagHelper : TagHelper
{
    /// <summary>The Razor view context (set by Razor).</summary>
    [HtmlAttributeNotBound]
    [Microsoft.AspNetCore.Mvc.ViewFeatures.ViewContext]
    public Microsoft.AspNetCore.Mvc.Rendering.ViewContext? ViewContext { get; set; }

    /// <summary>The site id to report (<c>data-domain</c>), when the host name is not enough.</summary>
    public string? Domain { get; set; }

    /// <summary>Track outbound-link clicks.</summary>
    public bool Outbound { get; set; }

    /// <summary>Track file downloads.</summary>
    public bool Downloads { get; set; }

    /// <summary>Track hash-based routing.</summary>
    public bool Hash { get; set; }

    /// <inheritdoc />
    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var http = ViewContext?.HttpContext ?? throw new InvalidOperationException("<beacon-script> needs a Razor view context.");
        var attributes = new List<(string, string?)>();
        if (Outbound)
        {
            attributes.Add(("outbound", null));
        }

        if (Downloads)
        {
            attributes.Add(("downloads", null));
        }

        if (Hash)
        {
            attributes.Add(("hash", null));
        }

        output.TagName = null;
        output.Content.SetHtmlContent(TrackerScript.Tag(http, Domain, [.. attributes]));
    }
}
