namespace FrancisBeacon.Enrichment;

/// <summary>
/// The User-Agent client hints a Chromium-based browser sends beside its <c>User-Agent</c>, as raw header values, for
/// <see cref="UserAgentParser.Parse(string?, ClientHints?)"/>. Every value is optional and may be malformed.
/// </summary>
/// <remarks>
/// Chromium sends <c>Sec-CH-UA</c>, <c>Sec-CH-UA-Mobile</c> and <c>Sec-CH-UA-Platform</c> on every secure request;
/// <c>Sec-CH-UA-Platform-Version</c> and <c>Sec-CH-UA-Full-Version-List</c> only to a site that asked for them with
/// an <c>Accept-CH</c> response header. Firefox and Safari send none.
/// </remarks>
/// <param name="SecChUa">
/// <c>Sec-CH-UA</c>, the brand list: <c>"Chromium";v="134", "Not:A-Brand";v="24", "Google Chrome";v="134"</c>.
/// </param>
/// <param name="SecChUaMobile"><c>Sec-CH-UA-Mobile</c>: <c>?1</c> on a phone, <c>?0</c> elsewhere.</param>
/// <param name="SecChUaPlatform"><c>Sec-CH-UA-Platform</c>: <c>"Windows"</c>, <c>"macOS"</c>, <c>"Android"</c>, <c>"Chrome OS"</c>, <c>"Linux"</c>, ...</param>
/// <param name="SecChUaPlatformVersion">
/// <c>Sec-CH-UA-Platform-Version</c>: <c>"15.0.0"</c>. On Windows it is not the marketing version: 13 and above is
/// Windows 11, 1 to 10 is Windows 10.
/// </param>
/// <param name="SecChUaFullVersionList">
/// <c>Sec-CH-UA-Full-Version-List</c>, the brand list with full versions:
/// <c>"Chromium";v="134.0.6998.89", "Google Chrome";v="134.0.6998.89"</c>. Preferred to <c>Sec-CH-UA</c> when present.
/// </param>
public sealed record ClientHints(
    string? SecChUa,
    string? SecChUaMobile,
    string? SecChUaPlatform,
    string? SecChUaPlatformVersion,
    string? SecChUaFullVersionList = null);
