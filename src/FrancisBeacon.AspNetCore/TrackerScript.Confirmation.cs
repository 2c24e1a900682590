using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Razor.TagHelpers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

public sealed partial class TrackerScript
{
    /// <summary>
    /// The URL of this page's confirmation image (<c>{PathBase}{PathPrefix}/c/{token}.gif</c>) when server-side
    /// tracking requires confirmation (<see cref="ServerSideTrackingOptions.RequireConfirmation"/>), else
    /// <see langword="null"/> (Razor then leaves the <c>src</c> attribute out). The token is random, made once per
    /// request, and names the page view waiting to be confirmed; nothing about the visitor is in it.
    /// </summary>
    /// <param name="context">The current request.</param>
    /// <example><code>&lt;img src="@TrackerScript.ConfirmationUrl(Context)" alt="" width="1" height="1"&gt;</code></example>
    public static string? ConfirmationUrl(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tracker = context.RequestServices.GetService<ServerSideTracker>();
        if (tracker?.GetOrCreateToken(context) is not { } token)
        {
            return null;
        }

        var options = context.RequestServices.GetRequiredService<IOptions<BeaconOptions>>().Value;
        return $"{context.Request.PathBase}{options.PathPrefix}/c/{token}.gif";
    }

    /// <summary>
    /// The whole confirmation image tag (<c>&lt;img src="…" alt="" width="1" height="1" …&gt;</c>), or an empty string
    /// when confirmation is not required. Put it in the page layout, inside <c>&lt;body&gt;</c>.
    /// </summary>
    /// <param name="context">The current request.</param>
    public static string ConfirmationTag(HttpContext context) =>
        ConfirmationUrl(context) is { } url
            ? $"<img src=\"{HtmlEncoder.Default.Encode(url)}\" alt=\"\" width=\"1\" height=\"1\" aria-hidden=\"true\" decoding=\"async\" referrerpolicy=\"no-referrer\">"
            : string.Empty;
}

/// <summary>
/// <c>&lt;beacon-confirm /&gt;</c>: writes the page's confirmation image for server-side tracking with
/// <see cref="ServerSideTrackingOptions.RequireConfirmation"/> (nothing when confirmation is off). Add
/// <c>@addTagHelper *, FrancisBeacon.AspNetCore</c> to <c>_ViewImports.cshtml</c> and put the tag in the layout's body.
/// </summary>
[HtmlTargetElement("beacon-confirm", TagStructure = TagStructure.WithoutEndTag)]
public sealed class BeaconConfirmTagHelper : TagHelper
{
    /// <summary>The Razor view context (set by Razor).</summary>
    [HtmlAttributeNotBound]
    [Microsoft.AspNetCore.Mvc.ViewFeatures.ViewContext]
    public Microsoft.AspNetCore.Mvc.Rendering.ViewContext? ViewContext { get; set; }

    /// <inheritdoc />
    public override void Process(TagHelperContext context, TagHelperOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var http = ViewContext?.HttpContext ?? throw new InvalidOperationException("<beacon-confirm> needs a Razor view context.");
        output.TagName = null;
        output.Content.SetHtmlContent(TrackerScript.ConfirmationTag(http));
    }
}
