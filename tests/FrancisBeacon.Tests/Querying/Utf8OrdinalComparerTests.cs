// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Tests.Querying;

public sealed class Utf8OrdinalComparerTests
{
    [Theory]
    [InlineData("\U0001F600", "\uE000")]
    [InlineData("\U0001F600", "\uFFFD")]
    [InlineData("\U0001F600", "\uFFFF")]
    [InlineData("/\U00010000", "/\uFB01")]
    [InlineData("a\U0010FFFF", "a\uE000z")]
    public void Compare_SurrogatePairVsHighBmp_SurrogateSortsAfter(string supplementary, string highBmp)
    {
        // UTF-16 puts surrogates (D800-DFFF) before E000-FFFF; UTF-8 bytes (F0.. vs EE/EF..) put them after.
        Assert.True(string.CompareOrdinal(supplementary, highBmp) < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare(supplementary, highBmp) > 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare(highBmp, supplementary) < 0);
    }

    [Theory]
    [InlineData("B", "a")]
    [InlineData("/a", "/a/")]
    [InlineData("", "a")]
    [InlineData("z", "é")]
    [InlineData("é", "\uD7FF")]
    [InlineData("\uD7FF", "\U0001F600")]
    [InlineData("\U0001F600", "\U0001F601")]
    public void Compare_OrderedPairs_FirstIsSmaller(string smaller, string larger)
    {
        Assert.True(Utf8OrdinalComparer.Instance.Compare(smaller, larger) < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare(larger, smaller) > 0);
    }

    [Fact]
    public void Compare_Nulls_NullFirst()
    {
        Assert.Equal(0, Utf8OrdinalComparer.Instance.Compare(null, null));
        Assert.True(Utf8OrdinalComparer.Instance.Compare(null, string.Empty) < 0);
        Assert.True(Utf8OrdinalComparer.Instance.Compare("a", null) > 0);
    }

    [Fact]
    public void Compare_EqualStrings_Zero()
    {
        Assert.Equal(0, Utf8OrdinalComparer.Instance.Compare("/😀/a", new string("/😀/a".ToCharArray())));
    }

    [Fact]
    public void Sort_MixedStrings_EqualsSortByUtf8Bytes()
    {
        string[] values = ["/😀", "/\uE000", "/b", "/B", "/é", "/a", "/", "/\uFFFD", "/日本", "/\U00010000", "/a b", "/ab", "/A"];

        var sorted = values.Order(Utf8OrdinalComparer.Instance).ToList();

        var byBytes = values.OrderBy(v => Encoding.UTF8.GetBytes(v), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToList();
        Assert.Equal(byBytes, sorted);
    }
}
