using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace FrancisBeacon.Enrichment;

/// <summary>
/// Known referrer-spam domains: sites that fake visits to put their name in analytics referrer reports.
/// </summary>
/// <remarks>
/// <para>The list is Matomo's community-maintained referrer-spam list (public domain), shipped inside this assembly and
/// read once, on first use; nothing is fetched at run time. It is refreshed with the library, not live: see
/// <c>docs/enrichment.md</c> for its version and size.</para>
/// <para>A listed domain also covers its subdomains (<c>semalt.com</c> covers <c>www.semalt.com</c> and
/// <c>x.y.semalt.com</c>), case-insensitively. Some listed domains host other sites too (the list follows Matomo's
/// choices), so a subdomain of such a host is treated as spam as well.</para>
/// </remarks>
public static class ReferrerSpam
{
    private const int MaxHostLength = 253;

    private static readonly FrozenSet<string> s_domains = Load();

    /// <summary>
    /// Whether a referrer host is a known referrer-spam domain or one of its subdomains. Never throws.
    /// </summary>
    /// <remarks>
    /// Takes the host as <see cref="ReferrerClassifier"/> works with it (<c>semalt.com</c>, <c>WWW.Semalt.com.</c>);
    /// an absolute <c>http</c>/<c>https</c> URL is also accepted and its host checked. A Unicode host is compared in its
    /// punycode form. The lookup walks the host's parent domains (<c>a.b.semalt.com</c>, <c>b.semalt.com</c>,
    /// <c>semalt.com</c>) in a hash set, without allocating for an ASCII host.
    /// </remarks>
    /// <param name="referrerHost">The referrer's host name, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> for a listed domain or a subdomain of one; otherwise <see langword="false"/>,
    /// including for <see langword="null"/>, empty or malformed input.</returns>
    public static bool IsSpam(string? referrerHost)
    {
        if (string.IsNullOrWhiteSpace(referrerHost) || referrerHost.Length > 2 * 1024)
        {
            return false;
        }

        var host = referrerHost.AsSpan().Trim();
        if (host.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(referrerHost.Trim(), UriKind.Absolute, out var uri) ||
                (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                return false;
            }

            if (UriHosts.IdnHostOrNull(uri) is not { } idnHost)
            {
                return false; // a host that breaks the IDN rules names no listed domain
            }

            host = idnHost.AsSpan();
        }
        else if (!Ascii.IsValid(host))
        {
            try
            {
                host = new IdnMapping().GetAscii(host.ToString());
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        host = host.TrimEnd('.');
        if (host.IsEmpty || host.Length > MaxHostLength || !IsHostName(host))
        {
            return false;
        }

        var lookup = s_domains.GetAlternateLookup<ReadOnlySpan<char>>();
        while (true)
        {
            if (lookup.Contains(host))
            {
                return true;
            }

            var dot = host.IndexOf('.');
            if (dot < 0)
            {
                return false;
            }

            host = host[(dot + 1)..];
        }
    }

    private static bool IsHostName(ReadOnlySpan<char> host)
    {
        foreach (var c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static FrozenSet<string> Load()
    {
        var domains = new List<string>(ReferrerSpamList.Count);
        foreach (var line in ReferrerSpamList.Domains.AsSpan().EnumerateLines())
        {
            var domain = line.Trim();
            if (!domain.IsEmpty)
            {
                domains.Add(domain.ToString());
            }
        }

        return domains.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }
}
