using System.IO.Compression;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;

namespace FrancisBeacon.Packaging.Tests;

/// <summary>
/// What nuget.org and a consumer see of each package: the nuspec fields, the icon, the README, XML docs next to the
/// assembly, and an assembly built deterministically with its PDB embedded (docs/packaging.md).
/// </summary>
public sealed class PackageMetadataTests(PackedPackages packages) : IClassFixture<PackedPackages>
{
    private static readonly Guid SourceLinkGuid = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    public static TheoryData<string> Projects() => [.. RepoRoot.SourceProjects];

    [Fact]
    public void EverySourceProject_IsPacked_AtTheLockstepVersion()
    {
        var expected = RepoRoot.SourceProjects.Select(p => $"{p}.{packages.Version}.nupkg").Order(StringComparer.Ordinal);
        var actual = Directory.GetFiles(packages.Directory, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Nuspec_CarriesTheMetadata(string id)
    {
        using var package = Open(id);
        var metadata = Nuspec(package);
        string? Field(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal(id, Field("id"));
        Assert.Equal(packages.Version, Field("version"));
        Assert.False(string.IsNullOrWhiteSpace(Field("authors")));
        Assert.False(string.IsNullOrWhiteSpace(Field("copyright")));
        var description = Field("description");
        Assert.False(string.IsNullOrWhiteSpace(description));
        Assert.NotEqual("Package Description", description);

        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("icon.png", Field("icon"));
        Assert.Equal("README.md", Field("readme"));
        Assert.StartsWith("https://", Field("projectUrl"), StringComparison.Ordinal);
        Assert.Contains("CHANGELOG.md", Field("releaseNotes"), StringComparison.Ordinal);

        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.StartsWith("https://", repository.Attribute("url")?.Value, StringComparison.Ordinal);

        var tags = (Field("tags") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("analytics", tags);
        Assert.Contains("aspnetcore", tags);
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Dependencies_OnTheFamily_UseTheSameVersion(string id)
    {
        using var package = Open(id);
        var family = Nuspec(package).Descendants()
            .Where(e => e.Name.LocalName == "dependency" && e.Attribute("id")!.Value.StartsWith("FrancisBeacon", StringComparison.Ordinal))
            .Select(e => e.Attribute("version")?.Value)
            .ToList();

        Assert.All(family, v => Assert.True(v == packages.Version || v == $"[{packages.Version}, )", $"version {v}"));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Package_HoldsIconReadmeAssemblyAndXmlDocs(string id)
    {
        using var package = Open(id);

        var icon = Read(package, "icon.png");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, icon.AsSpan(0, 4).ToArray());

        var readme = System.Text.Encoding.UTF8.GetString(Read(package, "README.md"));
        Assert.Contains(id, readme, StringComparison.Ordinal);
        // nuget.org shows the README outside the repository: links must be absolute.
        Assert.DoesNotMatch(@"\]\((?!https?://|#|mailto:)[^)]+\)", readme);

        Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
        var docs = XDocument.Parse(System.Text.Encoding.UTF8.GetString(Read(package, $"lib/net10.0/{id}.xml")));
        Assert.Equal(id, docs.Root?.Element("assembly")?.Element("name")?.Value);
        Assert.NotEmpty(docs.Descendants("member"));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Assembly_IsDeterministic_WithAnEmbeddedPdb_AndSourceLinkWhenTheCloneHasAnHttpsRemote(string id)
    {
        using var package = Open(id);
        using var pe = new PEReader(new MemoryStream(Read(package, $"lib/net10.0/{id}.dll")));
        var debug = pe.ReadDebugDirectory();

        Assert.Contains(debug, e => e.Type == DebugDirectoryEntryType.Reproducible);
        var embedded = Assert.Single(debug, e => e.Type == DebugDirectoryEntryType.EmbeddedPortablePdb);
        using var pdbProvider = pe.ReadEmbeddedPortablePdbDebugDirectoryData(embedded);
        var pdb = pdbProvider.GetMetadataReader();
        var sourceLink = pdb.CustomDebugInformation
            .Select(pdb.GetCustomDebugInformation)
            .Where(c => pdb.GetGuid(c.Kind) == SourceLinkGuid)
            .Select(c => System.Text.Encoding.UTF8.GetString(pdb.GetBlobBytes(c.Value)))
            .SingleOrDefault();
        // Source Link maps the sources to the repository's remote; a clone with no https remote (a local work tree,
        // CI's clone of a local path) has nothing to map to, and the SDK then writes no Source Link at all.
        if (packages.RemoteUrl?.StartsWith("https://", StringComparison.Ordinal) == true)
        {
            Assert.NotNull(sourceLink);
            Assert.Contains("\"documents\"", sourceLink, StringComparison.Ordinal);
        }
    }

    private ZipArchive Open(string id) =>
        ZipFile.OpenRead(Path.Combine(packages.Directory, $"{id}.{packages.Version}.nupkg"));

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = Assert.Single(package.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static byte[] Read(ZipArchive package, string path)
    {
        var entry = package.GetEntry(path);
        Assert.True(entry is not null, $"{path} is missing from the package");
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
