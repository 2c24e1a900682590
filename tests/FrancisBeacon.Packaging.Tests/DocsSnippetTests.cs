using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace FrancisBeacon.Packaging.Tests;

/// <summary>
/// Every C# snippet in README.md, docs/*.md and the package READMEs compiles against the real assemblies, in one
/// Roslyn compilation. Conventions (CONTRIBUTING.md#code-snippets-in-the-docs): a <c>```csharp</c> block is the body of
/// a <c>dotnet new web</c> Program.cs, with the web SDK's implicit usings and, when it does not declare them itself,
/// <c>args</c>, <c>builder</c> (<c>WebApplicationBuilder</c>) and <c>app</c> (<c>WebApplication</c>) in scope; it may
/// start with <c>using</c> directives and declare types, which the other snippets of the same page can use. A block
/// that cannot compile on its own (a member of a class, an excerpt) is fenced <c>```csharp fragment</c> and skipped.
/// </summary>
public sealed partial class DocsSnippetTests
{
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    private static readonly string[] ContextVariables = ["args", "builder", "app"];

    internal sealed record Snippet(string File, int Line, string Info, string Code)
    {
        public bool IsFragment => Info.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Contains("fragment");

        public override string ToString() => $"{File}:{Line}";
    }

    internal static IEnumerable<string> DocumentFiles()
    {
        yield return "README.md";
        foreach (var file in Directory.GetFiles(Path.Combine(RepoRoot.Path, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            yield return Path.GetRelativePath(RepoRoot.Path, file);
        }

        foreach (var project in RepoRoot.SourceProjects)
        {
            var readme = Path.Combine("src", project, "README.md");
            if (File.Exists(Path.Combine(RepoRoot.Path, readme)))
            {
                yield return readme;
            }
        }
    }

    internal static List<Snippet> Snippets()
    {
        var snippets = new List<Snippet>();
        foreach (var file in DocumentFiles())
        {
            var lines = File.ReadAllLines(Path.Combine(RepoRoot.Path, file));
            for (var i = 0; i < lines.Length; i++)
            {
                var fence = Fence().Match(lines[i]);
                if (!fence.Success)
                {
                    continue;
                }

                var start = i;
                var body = new StringBuilder();
                for (i++; i < lines.Length && lines[i].Trim() != fence.Groups["ticks"].Value; i++)
                {
                    body.Append(lines[i]).Append('\n');
                }

                if (CSharpInfo().IsMatch(fence.Groups["info"].Value))
                {
                    snippets.Add(new Snippet(file, start + 1, fence.Groups["info"].Value.Trim(), body.ToString()));
                }
            }
        }

        return snippets;
    }

    [Fact]
    public void Snippets_AreFound()
    {
        var snippets = Snippets();

        // Guards the extraction: the README's quick start and the docs hold dozens of C# blocks.
        Assert.Contains(snippets, s => s.File == "README.md" && !s.IsFragment);
        Assert.True(snippets.Count >= 20, string.Join(", ", snippets));
        Assert.True(snippets.Count(s => !s.IsFragment) > snippets.Count(s => s.IsFragment), "most snippets must compile");
    }

    [Fact]
    public void Snippets_UseOnlyKnownFenceMarkers()
    {
        var unknown = Snippets()
            .Where(s => s.Info.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Any(word => word != "fragment"))
            .Select(s => $"{s}: ```{s.Info}")
            .ToList();

        Assert.Empty(unknown);
    }

    [Fact]
    public void EverySnippet_Compiles()
    {
        var errors = Compile(Snippets().Where(s => !s.IsFragment).ToList());

        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Fact]
    public void Compile_ReportsABrokenSnippet_AtItsDocumentLine()
    {
        // Proves the check can fail: a snippet calling a method that does not exist.
        var broken = new Snippet("docs/example.md", 12, "csharp", "builder.Services.AddBeacon().UseNothingAtAll();\n");
        var ok = new Snippet("docs/example.md", 20, "csharp", "builder.Services.AddBeacon().UseInMemory();\n");

        var errors = Compile([broken, ok]);

        var error = Assert.Single(errors);
        Assert.StartsWith("docs/example.md:13:", error, StringComparison.Ordinal);
        Assert.Contains("UseNothingAtAll", error, StringComparison.Ordinal);
    }

    internal static List<string> Compile(IReadOnlyList<Snippet> snippets)
    {
        var parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest);
        var trees = new List<SyntaxTree>
        {
            CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using {u};\n")), parse, "GlobalUsings.cs"),
        };
        var origin = new Dictionary<SyntaxTree, (Snippet Snippet, int FirstLine, int StartLine)>();
        var documents = snippets.Select(s => s.File).Distinct().ToList();
        for (var i = 0; i < snippets.Count; i++)
        {
            var snippet = snippets[i];
            var unit = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(snippet.Code, parse).GetRoot();
            var statements = unit.Members.OfType<GlobalStatementSyntax>().ToList();
            var declared = statements
                .SelectMany(s => s.DescendantNodes().OfType<VariableDeclaratorSyntax>().Select(v => v.Identifier.Text))
                .ToHashSet(StringComparer.Ordinal);
            var parameters = string.Join(", ", new[] { "string[] args", "WebApplicationBuilder builder", "WebApplication app" }
                .Where((_, k) => !declared.Contains(ContextVariables[k])));

            var code = new StringBuilder();
            foreach (var directive in unit.Usings)
            {
                code.Append(directive.ToFullString().Trim()).Append('\n');
            }

            var fileScoped = unit.Members.OfType<FileScopedNamespaceDeclarationSyntax>().Any();
            if (!fileScoped)
            {
                code.Append($"namespace DocsSnippets.Page{documents.IndexOf(snippet.File)}\n{{\n");
            }

            foreach (var member in unit.Members.Where(m => m is not GlobalStatementSyntax))
            {
                code.Append(member.ToFullString()).Append('\n');
            }

            var firstLine = -1;
            var startLine = 0;
            if (statements.Count > 0)
            {
                code.Append($"internal static class Snippet{i}\n{{\n");
                code.Append($"internal static async System.Threading.Tasks.Task RunAsync({parameters})\n{{\n");
                // The statements keep their original line breaks, so a diagnostic's line maps back to the document.
                var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(statements[0].FullSpan.Start, statements[^1].FullSpan.End);
                startLine = unit.SyntaxTree.GetLineSpan(span).StartLinePosition.Line;
                firstLine = code.ToString().Count(c => c == '\n');
                code.Append(snippet.Code.AsSpan(span.Start, span.Length));
                code.Append("\n}\n}\n");
            }

            if (!fileScoped)
            {
                code.Append("}\n");
            }

            var tree = CSharpSyntaxTree.ParseText(code.ToString(), parse, $"{snippet}.cs", Encoding.UTF8);
            trees.Add(tree);
            origin[tree] = (snippet, firstLine, startLine);
        }

        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "DocsSnippets",
            trees,
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        return compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error)
            .Select(d =>
            {
                var tree = d.Location.SourceTree;
                if (tree is null || !origin.TryGetValue(tree, out var o))
                {
                    return d.ToString();
                }

                var line = d.Location.GetLineSpan().StartLinePosition.Line;
                var docLine = o.FirstLine >= 0 && line >= o.FirstLine ? o.Snippet.Line + 1 + o.StartLine + line - o.FirstLine : o.Snippet.Line;
                return $"{o.Snippet.File}:{docLine}: {d.Id} {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            })
            .ToList();
    }

    [GeneratedRegex(@"^\s*(?<ticks>```+)\s*(?<info>[^`]*)$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^(csharp|cs|c#)(\s|$)", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpInfo();
}
