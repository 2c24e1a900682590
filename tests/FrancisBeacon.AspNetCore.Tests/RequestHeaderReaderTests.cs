using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// <see cref="RequestHeaderReader"/> collects the non-standard headers the built-in steps read in one pass over the
/// request's headers: every name must still read as <c>headers[name].ToString()</c> gives it.
/// </summary>
public sealed class RequestHeaderReaderTests
{
    private static readonly string[] s_names =
    [
        "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User", "Sec-CH-UA", "Sec-CH-UA-Mobile", "Sec-CH-UA-Platform",
        "Sec-CH-UA-Platform-Version", "Sec-CH-UA-Arch", "Purpose", "Sec-Purpose", "Sec-GPC", "DNT", "User-Agent", "Accept",
        "Accept-Language", "Referer", "X-Custom", "Sec-Fetch-Sitf", "Referrer", "",
    ];

    [Fact]
    public void Read_EveryName_GivesWhatTheHeaderDictionaryGives()
    {
        var random = new Random(20261129);
        for (var round = 0; round < 500; round++)
        {
            var headers = new HeaderDictionary();
            foreach (var name in s_names.Where(n => n.Length > 0 && random.Next(3) > 0))
            {
                StringValues value = random.Next(4) switch
                {
                    0 => name + "-value",
                    1 => new StringValues([name + "-a", name + "-b"]),
                    2 => string.Empty,
                    _ => "?1",
                };
                headers[RandomCase(name, random)] = value;
            }

            var reader = new RequestHeaderReader(headers);
            foreach (var name in s_names.OrderBy(_ => random.Next()))
            {
                var asked = RandomCase(name, random);
                Assert.True(headers[asked].ToString() == reader.Read(asked), $"{asked} in round {round}");
            }
        }
    }

    [Fact]
    public void Read_CollectedHeaders_OnePassOverTheHeadersAndNoLookupByName()
    {
        var inner = new HeaderDictionary
        {
            ["sec-fetch-site"] = "same-origin",
            ["Sec-Fetch-Mode"] = "no-cors",
            ["SEC-FETCH-DEST"] = "image",
            ["Sec-CH-UA"] = "\"Chromium\";v=\"131\"",
            ["User-Agent"] = "Mozilla/5.0",
        };
        var headers = new CountingHeaders(inner);
        var reader = new RequestHeaderReader(headers);

        Assert.Equal(
            ("same-origin", "no-cors", "image", "\"Chromium\";v=\"131\"", string.Empty, string.Empty, string.Empty),
            (reader.Read("Sec-Fetch-Site"), reader.Read("Sec-Fetch-Mode"), reader.Read("Sec-Fetch-Dest"), reader.Read("Sec-CH-UA"),
             reader.Read("Purpose"), reader.Read("Sec-Purpose"), reader.Read("Sec-CH-UA-Platform")));
        Assert.Equal("Mozilla/5.0", reader.Read("User-Agent"));

        Assert.Equal(1, headers.Enumerations);
        Assert.Equal(["User-Agent"], headers.Lookups);
    }

    private static string RandomCase(string name, Random random) => random.Next(3) switch
    {
        0 => name,
        1 => name.ToUpperInvariant(),
        _ => name.ToLowerInvariant(),
    };

    /// <summary>A header dictionary that counts enumerations and records lookups by name.</summary>
    private sealed class CountingHeaders(IHeaderDictionary inner) : IHeaderDictionary
    {
        public int Enumerations { get; private set; }

        public List<string> Lookups { get; } = [];

        public StringValues this[string key]
        {
            get
            {
                Lookups.Add(key);
                return inner[key];
            }

            set => inner[key] = value;
        }

        public long? ContentLength { get => inner.ContentLength; set => inner.ContentLength = value; }

        public ICollection<string> Keys => inner.Keys;

        public ICollection<StringValues> Values => inner.Values;

        public int Count => inner.Count;

        public bool IsReadOnly => inner.IsReadOnly;

        public void Add(string key, StringValues value) => inner[key] = value;

        public void Add(KeyValuePair<string, StringValues> item) => inner.Add(item);

        public void Clear() => inner.Clear();

        public bool Contains(KeyValuePair<string, StringValues> item) => inner.Contains(item);

        public bool ContainsKey(string key) => inner.ContainsKey(key);

        public void CopyTo(KeyValuePair<string, StringValues>[] array, int arrayIndex) => inner.CopyTo(array, arrayIndex);

        public IEnumerator<KeyValuePair<string, StringValues>> GetEnumerator()
        {
            Enumerations++;
            return inner.GetEnumerator();
        }

        public bool Remove(string key) => inner.Remove(key);

        public bool Remove(KeyValuePair<string, StringValues> item) => inner.Remove(item);

        public bool TryGetValue(string key, out StringValues value)
        {
            Lookups.Add(key);
            return inner.TryGetValue(key, out value);
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
