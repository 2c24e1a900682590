using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>Checks <see cref="BeaconTokenOptions"/> at host start (and on reload) and lists every problem at once.</summary>
internal sealed class BeaconTokenOptionsValidator : IValidateOptions<BeaconTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, BeaconTokenOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            var where = $"ApiKeys[{i}]";
            Common(where, key.Name, key.Hash, names, hashes, errors);
            if (key.Sites.Count == 0 || key.Sites.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{where}.Sites must name at least one site id (or * for every site), with no empty entries.");
            }
        }

        for (var i = 0; i < options.ShareLinks.Count; i++)
        {
            var link = options.ShareLinks[i];
            var where = $"ShareLinks[{i}]";
            Common(where, link.Name, link.Hash, names, hashes, errors);
            if (string.IsNullOrWhiteSpace(link.Site) || link.Site.Trim() == BeaconTokenDefaults.AllSites)
            {
                errors.Add($"{where}.Site must name exactly one site id.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Common(string where, string name, string hash, HashSet<string> names, HashSet<string> hashes, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add($"{where}.Name is required.");
        }
        else if (!names.Add(name))
        {
            errors.Add($"{where}.Name '{name}' is used twice; names identify tokens in logs.");
        }

        if (!IsSha256Hex(hash))
        {
            // Never echo the value: someone may have pasted the token itself here.
            errors.Add($"{where}.Hash must be the 64-character hexadecimal SHA-256 of the token (BeaconTokens.ComputeHash), not the token.");
        }
        else if (!hashes.Add(hash))
        {
            errors.Add($"{where}.Hash is used twice.");
        }
    }

    internal static bool IsSha256Hex(string? value) => value is { Length: 64 } && value.All(char.IsAsciiHexDigit);
}
