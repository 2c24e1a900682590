namespace FrancisBeacon.Enrichment;

/// <summary>
/// What <see cref="UserAgentParser"/> reads from a <c>User-Agent</c> header. Every field is <see langword="null"/>
/// when the user agent does not tell.
/// </summary>
/// <param name="Browser">
/// The browser family, for example <c>Chrome</c>, <c>Firefox</c>, <c>Safari</c>, <c>Edge</c>, <c>Opera</c>,
/// <c>Samsung Internet</c>, <c>Chrome Webview</c> or <c>Mobile App</c> (an in-app browser such as Facebook's or
/// Instagram's).
/// </param>
/// <param name="BrowserVersion">The browser's major version, for example <c>133</c>.</param>
/// <param name="OperatingSystem">
/// The operating system, for example <c>Windows</c>, <c>macOS</c>, <c>iOS</c>, <c>iPadOS</c>, <c>Android</c>,
/// <c>Linux</c> or <c>Chrome OS</c>.
/// </param>
/// <param name="OperatingSystemVersion">
/// The operating system's version as the user agent gives it: the major version (<c>17</c>, <c>14</c>), or for
/// Windows the marketing name (<c>10</c>, <c>8.1</c>, <c>7</c>), or for macOS 10.x the major and minor (<c>10.15</c>).
/// </param>
/// <param name="DeviceType">One of <see cref="DeviceTypes"/>, or <see langword="null"/> when unknown.</param>
public sealed record UserAgentInfo(
    string? Browser,
    string? BrowserVersion,
    string? OperatingSystem,
    string? OperatingSystemVersion,
    string? DeviceType)
{
    /// <summary>The result for a missing or unreadable user agent: every field <see langword="null"/>.</summary>
    public static UserAgentInfo Unknown { get; } = new(null, null, null, null, null);
}

/// <summary>The device types <see cref="UserAgentParser"/> reports.</summary>
public static class DeviceTypes
{
    /// <summary>A desktop or laptop computer: Windows, macOS, Linux, Chrome OS and the BSDs.</summary>
    public const string Desktop = "Desktop";

    /// <summary>A phone: iPhone, iPod, Android with <c>Mobile</c> in its user agent, and other mobile systems.</summary>
    public const string Mobile = "Mobile";

    /// <summary>A tablet: iPad, Android without <c>Mobile</c>, Kindle.</summary>
    public const string Tablet = "Tablet";

    /// <summary>A television or streaming stick: smart TVs, Android TV, Fire TV, Apple TV, Chromecast.</summary>
    public const string TV = "TV";

    /// <summary>A game console: PlayStation, Xbox, Nintendo.</summary>
    public const string Console = "Console";
}
