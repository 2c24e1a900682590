using System.Text;

namespace FrancisBeacon.Tests;

/// <summary><see cref="HitText.Truncate(string, int)"/> and <see cref="HitText.Truncate(Hit)"/>: cuts in bytes of UTF-8.</summary>
public sealed class HitTextTruncateTests
{
    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("中文字")] // 9 bytes
    [InlineData("é😀é")] // 2 + 4 + 2 bytes
    public void Truncate_ValueWithinLimit_ReturnsSameInstance(string value)
    {
        var copy = new string(value.AsSpan()); // not the interned literal

        Assert.Same(copy, HitText.Truncate(copy, Math.Max(9, Encoding.UTF8.GetByteCount(value))));
    }

    [Fact]
    public void Truncate_ExactlyAtLimit_ReturnsSameInstance()
    {
        var ascii = new string('a', 1024);
        var cjk = "/" + new string('\u5B57', 341); // 1 + 1,023 bytes
        var pairs = new string('x', 1020) + "😀"; // 1,020 + 4 bytes

        Assert.Same(ascii, HitText.Truncate(ascii, 1024));
        Assert.Same(cjk, HitText.Truncate(cjk, 1024));
        Assert.Same(pairs, HitText.Truncate(pairs, 1024));
    }

    [Fact]
    public void Truncate_OneAsciiByteOver_DropsLastCharacter()
    {
        Assert.Equal(new string('a', 1024), HitText.Truncate(new string('a', 1025), 1024));
    }

    [Theory]
    [InlineData(1)] // the limit falls after the first byte of the 3-byte character
    [InlineData(2)] // after its second byte
    public void Truncate_LimitInsideThreeByteCharacter_CutsBeforeIt(int bytesOfItInside)
    {
        var value = new string('a', 10) + "中" + "b";

        var cut = HitText.Truncate(value, 10 + bytesOfItInside);

        Assert.Equal(new string('a', 10), cut);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Truncate_LimitInsideSurrogatePair_DropsWholePair(int bytesOfItInside)
    {
        var value = "ab" + "😀" + "c"; // the pair is bytes 3..6

        var cut = HitText.Truncate(value, 2 + bytesOfItInside);

        Assert.Equal("ab", cut);
        Assert.False(HitText.NeedsCleaning(cut));
    }

    [Fact]
    public void Truncate_LimitJustAfterSurrogatePair_KeepsWholePair()
    {
        Assert.Equal("ab😀", HitText.Truncate("ab😀c", 6));
    }

    [Fact]
    public void Truncate_LimitInsideTwoByteCharacter_CutsBeforeIt()
    {
        Assert.Equal("aé", HitText.Truncate("aéé", 4));
    }

    [Fact]
    public void Truncate_LongMixedText_IsLongestPrefixThatFits()
    {
        var random = new Random(7);
        string[] pieces = ["a", "é", "中", "😀", "\uFFFD"];
        var text = new StringBuilder();
        for (var i = 0; i < 2_000; i++)
        {
            text.Append(pieces[random.Next(pieces.Length)]);
        }

        var value = text.ToString();
        for (var limit = 0; limit < 1_100; limit += 7)
        {
            var cut = HitText.Truncate(value, limit);
            Assert.StartsWith(cut, value, StringComparison.Ordinal);
            Assert.True(Encoding.UTF8.GetByteCount(cut) <= limit);
            Assert.False(HitText.NeedsCleaning(cut));
            var next = char.IsHighSurrogate(value[cut.Length]) ? value[..(cut.Length + 2)] : value[..(cut.Length + 1)];
            Assert.True(Encoding.UTF8.GetByteCount(next) > limit, $"limit {limit}: a longer prefix fits");
        }
    }

    [Fact]
    public void Truncate_UnpairedSurrogate_CountsAsThreeBytes()
    {
        // As UTF-8 encoders write it (U+FFFD); the pipeline and the stores clean it first anyway.
        Assert.Equal("a\uD800", HitText.Truncate("a\uD800b", 4));
        Assert.Equal("a", HitText.Truncate("a\uD800b", 3));
    }

    [Fact]
    public void Truncate_Null_ReturnsNull()
    {
        Assert.Null(HitText.Truncate(null, 10));
    }

    [Fact]
    public void Truncate_HitWithinLimits_ReturnsSameInstance()
    {
        var hit = new Hit
        {
            SiteId = "example.com",
            Timestamp = DateTimeOffset.UnixEpoch,
            Path = "/" + new string('\u5B57', 341),
            Referrer = "https://example.org/" + new string('r', 1004),
            Hostname = new string('h', 256),
            Properties = new Dictionary<string, string> { ["k"] = new string('\u4E2D', HitLimits.MaxPropertyValueLength) },
        };

        Assert.False(HitText.NeedsTruncating(hit));
        Assert.Same(hit, HitText.Truncate(hit));
    }

    [Fact]
    public void Truncate_HitOverLimits_CutsEachFieldToItsLimitAndKeepsProperties()
    {
        var longCjk = new string('\u4E2D', HitLimits.MaxUrlLength);
        var properties = new Dictionary<string, string> { [new string('k', 256)] = longCjk };
        var hit = new Hit
        {
            SiteId = new string('s', 300),
            Timestamp = DateTimeOffset.UnixEpoch,
            Path = "/" + longCjk,
            Referrer = "https://example.org/" + longCjk,
            EventName = longCjk[..100],
            City = longCjk[..86],
            Properties = properties,
            VisitorId = 42,
        };

        var cut = HitText.Truncate(hit);

        Assert.True(HitText.NeedsTruncating(hit));
        Assert.Equal(new string('s', HitLimits.MaxShortTextBytes), cut.SiteId);
        Assert.Equal("/" + longCjk[..341], cut.Path);
        Assert.Equal("https://example.org/" + longCjk[..334], cut.Referrer); // 20 + 1,002 bytes
        Assert.Equal(longCjk[..85], cut.EventName);
        Assert.Equal(longCjk[..85], cut.City);
        Assert.Same(properties, cut.Properties);
        Assert.Equal(42, cut.VisitorId);
        Assert.Same(cut, HitText.Truncate(cut));
    }

    [Fact]
    public void Truncate_HitWithPropertiesOverLimits_KeepsTheFirstKeysCutToTheirLengths()
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 39; i >= 0; i--)
        {
            properties["k" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)] = "v";
        }

        properties["a" + new string('x', 300)] = "first"; // cut to 256 characters, the same key as the next one once cut
        properties["a" + new string('x', 255)] = "second";
        properties["b"] = new string('v', HitLimits.MaxPropertyValueLength - 1) + "😀";
        var hit = new Hit { SiteId = "example.com", Timestamp = DateTimeOffset.UnixEpoch, Path = "/", Properties = properties };

        var cut = HitText.Truncate(hit);

        Assert.True(HitText.NeedsTruncating(hit));
        Assert.Equal(HitLimits.MaxProperties, cut.Properties.Count);
        Assert.Equal("second", cut.Properties["a" + new string('x', 255)]); // ordinal order: the shorter key comes first
        Assert.Equal(new string('v', HitLimits.MaxPropertyValueLength - 1), cut.Properties["b"]); // not inside the pair
        Assert.Equal(Enumerable.Range(0, 28).Select(i => "k" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)), cut.Properties.Keys.Where(k => k[0] == 'k').Order(StringComparer.Ordinal));
        Assert.False(HitText.NeedsTruncating(cut));
        Assert.Same(cut, HitText.Truncate(cut));
    }

    [Fact]
    public void Truncate_HitWithPropertiesAtLimits_KeepsThem()
    {
        var properties = Enumerable.Range(0, HitLimits.MaxProperties).ToDictionary(
            i => i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + new string('k', HitLimits.MaxPropertyKeyLength - 2),
            _ => new string('\u4E2D', HitLimits.MaxPropertyValueLength));
        var hit = new Hit { SiteId = "example.com", Timestamp = DateTimeOffset.UnixEpoch, Path = "/", Properties = properties.AsReadOnly() };

        Assert.False(HitText.NeedsTruncating(hit));
        Assert.Same(hit, HitText.Truncate(hit));
    }

    [Theory]
    [InlineData("abc", 3, true)]
    [InlineData("abcd", 3, false)]
    [InlineData("中", 2, false)]
    [InlineData("中", 3, true)]
    [InlineData(null, 0, true)]
    public void Fits_ComparesUtf8Length(string? value, int maxBytes, bool fits)
    {
        Assert.Equal(fits, HitText.Fits(value, maxBytes));
    }
}
