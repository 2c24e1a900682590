using System.Globalization;
using System.Reflection;
using System.Text;

namespace FrancisBeacon.Sql;

/// <summary>One forward-only migration script.</summary>
/// <param name="Version">Its number, from 1 with no gaps.</param>
/// <param name="Name">Its file name without the number and extension, for example <c>create_hits</c>.</param>
/// <param name="Script">Its SQL with tokens such as <c>{schema}</c> or <c>{prefix}</c> already replaced.</param>
public sealed record SqlMigration(int Version, string Name, string Script);

/// <summary>Loads numbered migration scripts (<c>0001_create_hits.sql</c>) embedded in a store assembly.</summary>
public static class SqlMigrations
{
    /// <summary>
    /// Loads the scripts whose manifest names start with <paramref name="resourcePrefix"/>, sorted by number, and
    /// checks the numbers run 1, 2, 3... with no gap or duplicate. Tokens are replaced with already-validated values.
    /// </summary>
    /// <exception cref="InvalidOperationException">The numbers are not contiguous from 1.</exception>
    public static IReadOnlyList<SqlMigration> Load(Assembly assembly, string resourcePrefix, IReadOnlyDictionary<string, string> tokens)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(tokens);
        var scripts = new List<SqlMigration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(resourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var file = resource[resourcePrefix.Length..^4];
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var sql = new StringBuilder(reader.ReadToEnd());
            foreach (var (token, value) in tokens)
            {
                sql.Replace(token, value);
            }

            scripts.Add(new SqlMigration(version, file[(underscore + 1)..], sql.ToString()));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < scripts.Count; i++)
        {
            if (scripts[i].Version != i + 1)
            {
                throw new InvalidOperationException(
                    $"Migration scripts must be numbered 1, 2, 3... without gaps; expected {i + 1}, found {scripts[i].Version} ({scripts[i].Name}).");
            }
        }

        return scripts;
    }

    /// <summary>Joins the scripts after <paramref name="fromVersion"/> into one text for a DBA, each followed by its history insert.</summary>
    public static string Compose(IReadOnlyList<SqlMigration> migrations, int fromVersion, Func<SqlMigration, string> historyInsert)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        ArgumentNullException.ThrowIfNull(historyInsert);
        var text = new StringBuilder();
        foreach (var migration in migrations.Where(m => m.Version > fromVersion))
        {
            text.Append(CultureInfo.InvariantCulture, $"-- FrancisBeacon migration {migration.Version}: {migration.Name}\n");
            text.Append(migration.Script.TrimEnd()).Append('\n');
            text.Append(historyInsert(migration)).Append("\n\n");
        }

        return text.ToString();
    }
}
