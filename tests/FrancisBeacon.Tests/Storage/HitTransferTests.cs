// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.Tests.Storage;

public sealed class HitTransferTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HitExportReader Reader(string text) => new(new MemoryStream(Encoding.UTF8.GetBytes(text)), HitExportFormat.Ndjson);

    private static string Line(string site, string path, string time = "2026-03-01T10:00:00Z") =>
        $"{{\"site_id\":\"{site}\",\"timestamp\":\"{time}\",\"path\":\"{path}\"}}\n";

    /// <summary>A bad line stops the import; every hit before it is stored (and counted), none after it.</summary>
    [Fact]
    public async Task ImportAsync_BadLine_StoresEveryHitBeforeItAndNamesIt()
    {
        var store = new InMemoryHitStore();
        var text = Line("a", "/1") + Line("a", "/2") + Line("a", "/3") + "{\"site_id\":\"a\"\n" + Line("a", "/5");

        var error = await Assert.ThrowsAsync<HitImportException>(async () => await HitTransfer.ImportAsync(Reader(text), store, new HitTransferOptions { BatchSize = 2 }, cancellationToken: Ct));

        Assert.Equal(4, error.LineNumber);
        Assert.Equal(3, error.HitsRead);
        Assert.Equal(3, error.HitsAppended);
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public async Task ImportAsync_HitOfAnotherSite_IsRefusedAtItsLine()
    {
        var store = new InMemoryHitStore();

        var error = await Assert.ThrowsAsync<HitImportException>(async () => await HitTransfer.ImportAsync(Reader(Line("a", "/1") + Line("b", "/2")), store, new HitTransferOptions { SiteId = "a" }, cancellationToken: Ct));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal("site_id", error.Field);
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task ImportAsync_HitAfterNotAfter_IsRefused()
    {
        var error = await Assert.ThrowsAsync<HitImportException>(async () => await HitTransfer.ImportAsync(
            Reader(Line("a", "/1", "2026-03-01T10:00:00.001Z")), new InMemoryHitStore(),
            new HitTransferOptions { NotAfter = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero) }, cancellationToken: Ct));

        Assert.Equal("timestamp", error.Field);
    }

    [Fact]
    public async Task ImportAsync_ReportsProgressPerBatch_AndTwiceStoresOnce()
    {
        var store = new InMemoryHitStore();
        var text = string.Concat(Enumerable.Range(0, 5).Select(i => Line("a", "/" + i)));
        var reports = new List<HitTransferResult>();
        var progress = new SyncProgress(reports.Add);

        var first = await HitTransfer.ImportAsync(Reader(text), store, new HitTransferOptions { BatchSize = 2 }, progress, Ct);
        var second = await HitTransfer.ImportAsync(Reader(text), store, cancellationToken: Ct);

        Assert.Equal(new HitTransferResult(5, 5) { Added = 5 }, first);
        Assert.Equal([2L, 4, 5], reports.Select(r => r.Appended));
        Assert.Equal([2L, 4, 5], reports.Select(r => r.Added!.Value));
        Assert.Equal(new HitTransferResult(5, 5) { Added = 0 }, second);
        Assert.Equal(5, second.AlreadyPresent);
        Assert.Equal(5, store.Count);
    }

    [Fact]
    public async Task CopyAsync_CopiesTheRangeInBatches()
    {
        var source = new InMemoryHitStore();
        await source.AppendAsync([.. HitScenario.SmallSite()], Ct);
        var target = new InMemoryHitStore();
        var reports = new List<HitTransferResult>();

        var result = await HitTransfer.CopyAsync(source, new HitRange { SiteId = HitBuilder.DefaultSiteId }, target, new HitTransferOptions { BatchSize = 3 }, new SyncProgress(reports.Add), Ct);

        Assert.Equal(new HitTransferResult(8, 8) { Added = 8 }, result);
        Assert.Equal(3, reports.Count);
        var expected = new List<Hit>();
        await foreach (var hit in source.ReadAsync(new HitRange { SiteId = HitBuilder.DefaultSiteId }, Ct))
        {
            expected.Add(hit);
        }

        var copied = new List<Hit>();
        await foreach (var hit in target.ReadAsync(HitRange.All, Ct))
        {
            copied.Add(hit);
        }

        HitAssert.Equal(expected, copied);
    }

    [Fact]
    public async Task CopyAsync_Cancelled_Throws()
    {
        var source = new InMemoryHitStore();
        await source.AppendAsync([.. HitScenario.SmallSite()], Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await HitTransfer.CopyAsync(source, HitRange.All, new InMemoryHitStore(), cancellationToken: cancelled.Token));
    }

    private sealed class SyncProgress(Action<HitTransferResult> report) : IProgress<HitTransferResult>
    {
        public void Report(HitTransferResult value) => report(value);
    }
    /// <summary>The new store takes the old one's salts, so a visitor seen before a switch keeps their id after it.</summary>
    [Fact]
    public async Task CopySaltsAsync_TargetWithoutSalts_UsesTheSourcesForYesterdayTodayAndTomorrow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 23, 30, 0, TimeSpan.Zero));
        var source = new InMemoryHitStore();
        var target = new InMemoryHitStore();
        var today = new DateOnly(2026, 3, 1);
        var before = await source.GetOrAddSaltAsync(today, Salt(1), Ct);

        Assert.Equal(3, await HitTransfer.CopySaltsAsync(source, target, time, Ct));

        foreach (var day in new[] { today.AddDays(-1), today, today.AddDays(1) })
        {
            var salt = await source.GetOrAddSaltAsync(day, Salt(9), Ct);
            Assert.Equal(salt, await target.GetOrAddSaltAsync(day, Salt(8), Ct));
        }

        Assert.Equal(before, await target.GetOrAddSaltAsync(today, Salt(7), Ct));
    }

    /// <summary>A target that has its own salt for a day keeps it (a store keeps its first), and the count says so.</summary>
    [Fact]
    public async Task CopySaltsAsync_TargetWithItsOwnSaltForToday_KeepsItAndCountsTwoDays()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var source = new InMemoryHitStore();
        var target = new InMemoryHitStore();
        var own = await target.GetOrAddSaltAsync(new DateOnly(2026, 3, 1), Salt(5), Ct);

        Assert.Equal(2, await HitTransfer.CopySaltsAsync(source, target, time, Ct));
        Assert.Equal(own, await target.GetOrAddSaltAsync(new DateOnly(2026, 3, 1), Salt(6), Ct));
    }

    private static byte[] Salt(byte fill) => Enumerable.Repeat(fill, 32).ToArray();
}
