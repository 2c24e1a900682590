using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FrancisBeacon.AspNetCore;
using FrancisBeacon.GeoIP;
using FrancisBeacon.PostgreSql;
using FrancisBeacon.Sqlite;
using Microsoft.Extensions.Configuration;

namespace FrancisBeacon.Packaging.Tests;

/// <summary>
/// The configuration a reader copies, against the options classes: every <c>"FrancisBeacon"</c> JSON block of the docs
/// (and the sample's appsettings) binds key by key, with no key that no property takes, and validates; and every setting
/// of every options class is named in docs/configuration.md, the page that lists them.
/// </summary>
public sealed partial class ConfigurationDocsTests
{
    /// <summary>Subsections of "FrancisBeacon" that other options classes bind (the page says so for each).</summary>
    private static readonly Dictionary<string, Type> Subsections = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Tokens"] = typeof(BeaconTokenOptions),
        ["GeoIP"] = typeof(GeoIPOptions),
        ["Sqlite"] = typeof(SqliteHitStoreOptions),
        ["PostgreSql"] = typeof(PostgreSqlHitStoreOptions),
    };

    internal sealed record JsonBlock(string File, int Line, string Json)
    {
        public override string ToString() => $"{File}:{Line}";
    }

    internal static List<JsonBlock> ConfigurationBlocks()
    {
        var blocks = new List<JsonBlock>();
        foreach (var file in DocsSnippetTests.DocumentFiles())
        {
            var lines = File.ReadAllLines(Path.Combine(RepoRoot.Path, file));
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Trim() != "```json")
                {
                    continue;
                }

                var start = i;
                var body = new StringBuilder();
                for (i++; i < lines.Length && lines[i].Trim() != "```"; i++)
                {
                    body.Append(lines[i]).Append('\n');
                }

                // A block may be an excerpt of appsettings.json that starts at a key: "FrancisBeacon": { ... }.
                var json = body.ToString().Trim();
                json = json.StartsWith('"') ? "{" + json + "}" : json;
                if (IsConfiguration(json))
                {
                    blocks.Add(new JsonBlock(file, start + 1, json));
                }
            }
        }

        foreach (var settings in Directory.GetFiles(Path.Combine(RepoRoot.Path, "samples"), "appsettings*.json", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                                 !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            var json = File.ReadAllText(settings);
            if (IsConfiguration(json))
            {
                blocks.Add(new JsonBlock(Path.GetRelativePath(RepoRoot.Path, settings), 1, json));
            }
        }

        return blocks;
    }

    /// <summary>One JSON object (the query bodies and answers of the API pages are not) with a "FrancisBeacon" key.</summary>
    private static bool IsConfiguration(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("FrancisBeacon", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [Fact]
    public void ConfigurationBlocks_AreFound()
    {
        // Guards the extraction: configuration.md's whole section, and the sections of other pages.
        var blocks = ConfigurationBlocks();

        Assert.Contains(blocks, b => b.File == Path.Combine("docs", "configuration.md") && b.Json.Contains("\"QueueCapacity\"", StringComparison.Ordinal));
        Assert.True(blocks.Count >= 5, string.Join(", ", blocks));
    }

    [Fact]
    public void EveryConfigurationBlock_BindsEveryKey_AndValidates()
    {
        var problems = ConfigurationBlocks().SelectMany(Check).ToList();

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Check_ReportsAKeyNoPropertyTakes_AndAnInvalidValue()
    {
        // Proves the check can fail: a misspelt key inside a site, and a path prefix that does not start with '/'.
        var block = new JsonBlock("docs/example.md", 7, """{ "FrancisBeacon": { "PathPrefix": "beacon", "Sites": [ { "Id": "a.example", "TimeZon": "UTC" } ] } }""");

        var problems = Check(block);

        Assert.Contains(problems, p => p.StartsWith("docs/example.md:7: ", StringComparison.Ordinal) && p.Contains("TimeZon", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("PathPrefix 'beacon' must start with '/'", StringComparison.Ordinal));
    }

    private static List<string> Check(JsonBlock block)
    {
        var problems = new List<string>();
        var section = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(block.Json)))
            .Build()
            .GetSection("FrancisBeacon");

        // BeaconOptions takes the section but for the subsections that other classes bind.
        var own = section.AsEnumerable(makePathsRelative: true)
            .Where(pair => !Subsections.ContainsKey(pair.Key.Split(':')[0]))
            .ToList();
        var options = new BeaconOptions();
        Bind(new ConfigurationBuilder().AddInMemoryCollection(own).Build(), options, block, problems);
        var result = new BeaconOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            problems.AddRange(result.Failures.Select(f => $"{block}: {f}"));
        }

        foreach (var (name, type) in Subsections)
        {
            if (section.GetSection(name).Exists())
            {
                // Bound only: the pages show placeholders ("<64 hex chars>", a database path) where a real value goes.
                Bind(section.GetSection(name), Activator.CreateInstance(type)!, block, problems);
            }
        }

        return problems;
    }

    private static void Bind(IConfiguration configuration, object options, JsonBlock block, List<string> problems)
    {
        try
        {
            // A key no property takes is an error here, where the binder would skip it silently in an app.
            configuration.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            // The binder's own message is generic ("binding has failed"); the inner ones name the key.
            var messages = new List<string>();
            for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            {
                messages.Add(inner.Message);
            }

            problems.Add($"{block}: {options.GetType().Name}: {string.Join(" ", messages)}");
        }
    }

    [Fact]
    public void EveryOptionsSetting_IsNamedInItsPage()
    {
        var missing = (from type in OptionsTypes()
                       let page = Page(type)
                       let text = File.ReadAllText(Path.Combine(RepoRoot.Path, page))
                       from property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                       where !IsContainer(property.PropertyType) && !Named(text, property.Name)
                       select $"{page}: {type.Name}.{property.Name}").ToList();

        Assert.True(missing.Count == 0, "Not named in the page that lists the settings:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void OptionsTypes_AreFound()
    {
        // Guards the reflection: the options of the core, the stores, the tokens and the endpoints.
        var names = OptionsTypes().Select(t => t.Name).ToList();

        Assert.Contains("BeaconOptions", names);
        Assert.Contains("BeaconSiteOptions", names);
        Assert.Contains("SqliteHitStoreOptions", names);
        Assert.Contains("BeaconErasureOptions", names);
        Assert.Contains("GeoIPOptions", names);
    }

    /// <summary>Every public class named <c>*Options</c> in the packages (the kit's data generators have none).</summary>
    private static IEnumerable<Type> OptionsTypes() =>
        RepoRoot.SourceProjects
            .Select(name => Assembly.Load(new AssemblyName(name)))
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => t.IsClass && t.Name.EndsWith("Options", StringComparison.Ordinal))
            .OrderBy(t => t.FullName, StringComparer.Ordinal);

    /// <summary>HitTransferOptions are a method's argument, not configuration: import.md lists them.</summary>
    private static string Page(Type type) =>
        Path.Combine("docs", type == typeof(Storage.HitTransferOptions) ? "import.md" : "configuration.md");

    /// <summary>A nested options object or a list of them: its own settings are checked instead.</summary>
    private static bool IsContainer(Type type) =>
        type.Name.EndsWith("Options", StringComparison.Ordinal) ||
        (type.IsGenericType && type.GetGenericArguments()[0].Name.EndsWith("Options", StringComparison.Ordinal));

    /// <summary>In code format, alone or as the last part of a path: <c>`Name`</c>, <c>`Spool.Name`</c>, <c>`…Name`</c>.</summary>
    private static bool Named(string text, string name) =>
        Regex.IsMatch(text, "[`.…]" + Regex.Escape(name) + "`", RegexOptions.CultureInvariant);
}
