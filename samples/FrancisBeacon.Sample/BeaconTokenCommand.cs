using System.Globalization;
using System.Text.Json;
using FrancisBeacon.AspNetCore;

/// <summary>
/// <c>dotnet run --project samples/FrancisBeacon.Sample -- beacon-token api-key|share --name NAME --site SITE [--site SITE2] [--expires 2027-01-01]</c>:
/// mints a token, prints it once with its SHA-256 hash and the configuration entry that holds only the hash.
/// </summary>
internal static class BeaconTokenCommand
{
    public const string Name = "beacon-token";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var kind = args.Length > 1 ? args[1] : string.Empty;
        string? name = null;
        string? expires = null;
        var sites = new List<string>();
        for (var i = 2; i < args.Length - 1; i += 2)
        {
            switch (args[i])
            {
                case "--name": name = args[i + 1]; break;
                case "--site": sites.Add(args[i + 1]); break;
                case "--expires": expires = args[i + 1]; break;
                default: return Usage(error, $"Unknown option {args[i]}.");
            }
        }

        if (kind is not ("api-key" or "share") || string.IsNullOrWhiteSpace(name) || sites.Count == 0 || (kind == "share" && sites.Count != 1))
        {
            return Usage(error, null);
        }

        DateTimeOffset? expiresAt = null;
        if (expires is not null)
        {
            if (!DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return Usage(error, $"--expires {expires} is not a date.");
            }

            expiresAt = parsed;
        }

        var secret = kind == "share" ? BeaconTokens.CreateShareLink() : BeaconTokens.CreateApiKey();
        var entry = new Dictionary<string, object> { ["Name"] = name, ["Hash"] = secret.Hash };
        if (kind == "share")
        {
            entry["Site"] = sites[0];
        }
        else
        {
            entry["Sites"] = sites;
        }

        if (expiresAt is { } at)
        {
            entry["ExpiresAt"] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        var section = kind == "share" ? "ShareLinks" : "ApiKeys";
        output.WriteLine(kind == "share" ? $"Share link (shown once): /beacon/share/{secret.Token}" : $"API key (shown once): {secret.Token}");
        output.WriteLine($"SHA-256 hash:           {secret.Hash}");
        output.WriteLine();
        output.WriteLine($"Add this entry to FrancisBeacon:Tokens:{section} (only the hash is stored; remove the entry to revoke):");
        output.WriteLine(JsonSerializer.Serialize(entry, Indented));
        return 0;
    }

    private static int Usage(TextWriter error, string? problem)
    {
        if (problem is not null)
        {
            error.WriteLine(problem);
        }

        error.WriteLine("Usage: beacon-token api-key --name NAME --site SITE [--site SITE2 | --site *] [--expires 2027-01-01]");
        error.WriteLine("       beacon-token share --name NAME --site SITE [--expires 2027-01-01]");
        return 2;
    }
}
