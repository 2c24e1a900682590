using System.Reflection;
using FrancisBeacon.Sql;

namespace FrancisBeacon.Sqlite.Tests;

public sealed class SqlMigrationsTests
{
    [Theory]
    [InlineData("beacon")]
    [InlineData("_x9")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")]
    public void SqlIdentifier_AllowedNames_AreValid(string name) => Assert.True(SqlIdentifier.IsValid(name));

    [Theory]
    [InlineData("")]
    [InlineData("Beacon")]
    [InlineData("1abc")]
    [InlineData("a b")]
    [InlineData("beacon\"; DROP SCHEMA public; --")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData(null)]
    public void SqlIdentifier_OtherNames_AreRejected(string? name)
    {
        Assert.False(SqlIdentifier.IsValid(name));
        Assert.Throws<ArgumentException>(() => SqlIdentifier.Validate(name, "Schema"));
    }

    [Fact]
    public void Load_TokensAreReplacedAndScriptsSorted()
    {
        var scripts = SqlMigrations.Load(typeof(SqliteHitStore).Assembly, "FrancisBeacon.Sqlite.Migrations.", new Dictionary<string, string> { ["{prefix}"] = "zz_" });

        Assert.Equal(1, scripts[0].Version);
        Assert.Equal("create_hits", scripts[0].Name);
        Assert.Contains("CREATE TABLE zz_hits", scripts[0].Script, StringComparison.Ordinal);
        Assert.DoesNotContain("{prefix}", scripts[0].Script, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_GapInNumbers_Throws()
    {
        var assembly = new FakeAssembly("P.0001_a.sql", "P.0003_c.sql");

        var ex = Assert.Throws<InvalidOperationException>(() => SqlMigrations.Load(assembly, "P.", new Dictionary<string, string>()));
        Assert.Contains("without gaps", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateNumbers_Throws()
    {
        var assembly = new FakeAssembly("P.0001_a.sql", "P.0001_b.sql");

        Assert.Throws<InvalidOperationException>(() => SqlMigrations.Load(assembly, "P.", new Dictionary<string, string>()));
    }

    private sealed class FakeAssembly(params string[] names) : Assembly
    {
        public override string[] GetManifestResourceNames() => names;

        public override Stream? GetManifestResourceStream(string name) => new MemoryStream("SELECT 1;"u8.ToArray());
    }
}
