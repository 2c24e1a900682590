using System.Text.RegularExpressions;

namespace FrancisBeacon.Sql;

/// <summary>The allow-list for identifiers (schema names, table prefixes) that options put into SQL.</summary>
public static partial class SqlIdentifier
{
    /// <summary>Whether <paramref name="identifier"/> matches <c>^[a-z_][a-z0-9_]{0,62}$</c>.</summary>
    public static bool IsValid(string? identifier) => identifier is not null && Pattern().IsMatch(identifier);

    /// <summary>Returns <paramref name="identifier"/>, or throws when it is not on the allow-list.</summary>
    /// <exception cref="ArgumentException">The identifier does not match <c>^[a-z_][a-z0-9_]{0,62}$</c>.</exception>
    public static string Validate(string? identifier, string optionName)
    {
        if (!IsValid(identifier))
        {
            throw new ArgumentException(
                $"{optionName} '{identifier}' is not allowed: use lower-case letters, digits and '_' (at most 63, not starting with a digit).",
                optionName);
        }

        return identifier!;
    }

    /// <summary>Whether <paramref name="prefix"/> is empty or a valid identifier prefix.</summary>
    public static bool IsValidPrefix(string? prefix) => prefix is not null && (prefix.Length == 0 || (prefix.Length <= 40 && Pattern().IsMatch(prefix)));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Pattern();
}
