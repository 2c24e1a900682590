using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.Packaging.Tests;

/// <summary>
/// Log event ids are part of the public contract (people alert on them): every log goes through [LoggerMessage] with
/// an explicit id, unique across all FrancisBeacon assemblies, inside the range docs/telemetry.md gives its assembly.
/// </summary>
public sealed partial class LogEventIdTests
{
    /// <summary>The documented ranges (docs/telemetry.md#log-event-ids), by assembly.</summary>
    private static readonly Dictionary<string, (int From, int To)[]> Ranges = new(StringComparer.Ordinal)
    {
        ["FrancisBeacon"] = [(100, 199)],
        ["FrancisBeacon.AspNetCore"] = [(200, 999), (7000, 7999)],
        ["FrancisBeacon.Sql"] = [(1000, 1099)],
        ["FrancisBeacon.Sqlite"] = [(1100, 1199)],
        ["FrancisBeacon.PostgreSql"] = [(1200, 1299)],
        ["FrancisBeacon.GeoIP"] = [(1300, 1399)],
        ["FrancisBeacon.Testing"] = [(1400, 1499)],
    };

    private static IEnumerable<Assembly> Assemblies() =>
        RepoRoot.SourceProjects.Select(name => Assembly.Load(new AssemblyName(name)));

    private static List<(string Assembly, string Method, LoggerMessageAttribute Attribute)> LogMethods() =>
        [.. from assembly in Assemblies()
            from type in assembly.GetTypes()
            from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
            where attribute is not null
            select (assembly.GetName().Name!, $"{type.FullName}.{method.Name}", attribute)];

    [Fact]
    public void EverySourceProject_HasADocumentedEventIdRange()
    {
        Assert.DoesNotContain(RepoRoot.SourceProjects, p => !Ranges.ContainsKey(p));
    }

    [Fact]
    public void LoggerMessages_Exist()
    {
        // Guards the reflection below: if it found nothing, the uniqueness test would pass vacuously.
        Assert.Contains(LogMethods(), m => m.Assembly == "FrancisBeacon.AspNetCore");
        Assert.Contains(LogMethods(), m => m.Assembly == "FrancisBeacon");
    }

    [Fact]
    public void EveryLoggerMessage_HasAnExplicitEventIdInItsAssemblysRange()
    {
        var outside = LogMethods()
            .Where(m => !Ranges.TryGetValue(m.Assembly, out var ranges) ||
                        !ranges.Any(r => m.Attribute.EventId >= r.From && m.Attribute.EventId <= r.To))
            .Select(m => $"{m.Method}: {m.Attribute.EventId}")
            .ToList();

        Assert.Empty(outside);
    }

    [Fact]
    public void EventIds_AreUniqueAcrossEveryAssembly()
    {
        var duplicates = LogMethods()
            .GroupBy(m => m.Attribute.EventId)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}")
            .ToList();

        Assert.Empty(duplicates);
    }

    [Fact]
    public void EveryLoggerMessage_IsListedInTelemetryMd_WithItsLevel()
    {
        // People alert on these ids from the table in docs/telemetry.md: a row per id, "| id | level | message |".
        var rows = File.ReadLines(Path.Combine(RepoRoot.Path, "docs", "telemetry.md"))
            .Select(line => TableRow().Match(line))
            .Where(m => m.Success)
            .ToDictionary(m => int.Parse(m.Groups["id"].Value, System.Globalization.CultureInfo.InvariantCulture), m => m.Groups["level"].Value);

        var unlisted = LogMethods()
            .Where(m => !rows.TryGetValue(m.Attribute.EventId, out var level) || level != m.Attribute.Level.ToString())
            .Select(m => $"{m.Method}: {m.Attribute.EventId} {m.Attribute.Level} (docs/telemetry.md: {rows.GetValueOrDefault(m.Attribute.EventId) ?? "no row"})")
            .ToList();

        Assert.True(rows.Count > 40, "the id table of docs/telemetry.md was not found");
        Assert.Empty(unlisted);
    }

    [Fact]
    public void LibraryCode_LogsOnlyThroughLoggerMessage()
    {
        // ILogger.Log* extension calls and LoggerMessage.Define bypass the generated, id-carrying methods.
        var offenders = Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => DirectLogCall().IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(RepoRoot.Path, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.Empty(offenders);
    }

    [GeneratedRegex(@"^\| (?<id>\d+) \| (?<level>[A-Za-z]+) \|")]
    private static partial Regex TableRow();

    [GeneratedRegex(@"\.Log(Trace|Debug|Information|Warning|Error|Critical)\s*\(|\bLoggerMessage\.Define\b|\.Log\s*\(\s*LogLevel\.")]
    private static partial Regex DirectLogCall();
}
