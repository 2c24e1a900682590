// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.PostgreSql.Tests;

public sealed class PostgreSqlDialectTests
{
    [Fact]
    public void ToStored_TruncatesToTheMillisecondInUtc()
    {
        var value = new DateTimeOffset(2025, 1, 2, 5, 4, 5, TimeSpan.FromHours(2)).AddTicks(1_239_999);

        var stored = PostgreSqlDialect.ToStored(value);

        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 123, TimeSpan.Zero), stored);
        Assert.Equal(TimeSpan.Zero, stored.Offset);
    }

    [Fact]
    public void ToBound_SubMillisecond_RoundsUpSoWholeMillisecondRowsCompareExactly()
    {
        var whole = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 123, TimeSpan.Zero);

        Assert.Equal(whole, PostgreSqlDialect.ToBound(whole));
        Assert.Equal(whole.AddMilliseconds(1), PostgreSqlDialect.ToBound(whole.AddTicks(1)));
        Assert.Equal(TimeSpan.Zero, PostgreSqlDialect.ToBound(whole.ToOffset(TimeSpan.FromHours(-5))).Offset);
    }

    [Fact]
    public void ToBound_DateTimeOffsetExtremes_DoNotOverflow()
    {
        Assert.Equal(DateTimeOffset.MinValue, PostgreSqlDialect.ToBound(DateTimeOffset.MinValue));
        var max = PostgreSqlDialect.ToBound(DateTimeOffset.MaxValue);
        var latestStorable = PostgreSqlDialect.ToStored(DateTimeOffset.MaxValue);
        Assert.True(max > latestStorable);
        Assert.True(max < DateTimeOffset.MaxValue);
        Assert.Equal(0, max.UtcTicks % 10); // whole microseconds: PostgreSQL keeps it exactly
    }

    [Fact]
    public void EpochMilliseconds_AndCollation_AreThePostgreSqlForms()
    {
        Assert.Equal("(extract(epoch from ts) * 1000)::bigint", PostgreSqlDialect.Instance.EpochMilliseconds("ts"));
        Assert.Equal(" COLLATE \"C\"", PostgreSqlDialect.Instance.BinaryCollation);
    }
}
