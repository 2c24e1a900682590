using System.Text;
using FrancisBeacon.AspNetCore.Fuzz;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// The short, deterministic run of the fuzz harness (tests/fuzz): every entry point gets its seed corpus and a few
/// hundred inputs mutated from it with a fixed seed; no unexpected exception may escape. Long runs use SharpFuzz with
/// libFuzzer or AFL++ (tests/fuzz/README.md).
/// </summary>
public sealed class FuzzHarnessTests
{
    private const int MutationsPerTarget = 600;

    /// <summary>Tokens the mutator splices in: JSON and URL syntax, and values the parsers treat specially.</summary>
    private static readonly string[] Dictionary =
    [
        "{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0", "\\u0000", "\\ud800", "%", "%FF", "%C0%AF", "&", "=", "?", "#", "/",
        "..", "://", "http://", "https://", "xn--", "\u0130", "\uFFFD", "\r\n", "\0", "utm_source=", "u=", "r=", "w=",
        "\"props\":", "\"p\":", "\"$\":", "\"revenue\":{\"amount\":", "\"filters\":", "\"dimensions\":[\"time\"]", "\"date_range\":",
        "\"order_by\":", "\"pagination\":{\"limit\":", "\"include\":", "\"comparisons\":{\"mode\":", "event:props:", "visit:",
        "Mozilla/5.0 (", "Chrome/", "Version/", "bot", "\"type\":\"event\"", "\"payload\":", "\"hostname\":",
    ];

    private const string Structural = "{}[]\":,\\%&=?#/\0\u00FF";

    public static TheoryData<string> Targets() => [.. FuzzTargets.Names];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_SeedsAndMutations_NeverThrowUnexpectedly(string target)
    {
        var seeds = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", target)).Select(File.ReadAllBytes).ToList();
        Assert.NotEmpty(seeds);
        var random = new Random(target.Length * 7919 + 17); // fixed per target: the same inputs on every run
        var inputs = seeds.Concat(Enumerable.Range(0, MutationsPerTarget).Select(_ => Mutate(seeds, random)));

        foreach (var input in inputs)
        {
            var ex = Record.Exception(() => FuzzTargets.Run(target, input));
            Assert.True(ex is null, $"{target} threw {ex?.GetType().Name}: {ex?.Message}\ninput (base64): {Convert.ToBase64String(input)}");
        }
    }

    /// <summary>One to eight libFuzzer-style mutations of a seed: byte flips, inserts, deletes, dictionary tokens, splices, repeats.</summary>
    private static byte[] Mutate(List<byte[]> seeds, Random random)
    {
        var data = new List<byte>(seeds[random.Next(seeds.Count)]);
        for (var n = random.Next(1, 9); n > 0; n--)
        {
            var at = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data.Insert(at, (byte)random.Next(256));
                    break;
                case 2 when data.Count > 0:
                    data.RemoveRange(at, Math.Min(data.Count - at, random.Next(1, 16)));
                    break;
                case 3:
                    data.InsertRange(at, Encoding.UTF8.GetBytes(Dictionary[random.Next(Dictionary.Length)]));
                    break;
                case 4:
                    var other = seeds[random.Next(seeds.Count)];
                    var from = random.Next(other.Length);
                    data.InsertRange(at, other.Skip(from).Take(random.Next(1, 64)));
                    break;
                case 5 when data.Count > 0:
                    var chunk = data.Skip(at).Take(random.Next(1, 8)).ToArray();
                    for (var i = random.Next(2, 200); i > 0; i--)
                    {
                        data.InsertRange(at, chunk);
                    }

                    break;
                default:
                    if (data.Count > 0)
                    {
                        data[at] = (byte)Structural[random.Next(Structural.Length)];
                    }

                    break;
            }
        }

        return [.. data];
    }
}
