using FrancisBeacon.Storage;

namespace FrancisBeacon.Sql;

/// <summary>
/// Puts hits read in timestamp order into the reference order (timestamp, then <see cref="Guid"/> order), which
/// databases cannot produce themselves because they compare stored GUID bytes differently.
/// </summary>
public static class HitReadOrdering
{
    /// <summary>Re-sorts each run of hits that share a timestamp by <see cref="Hit.Id"/>.</summary>
    /// <remarks>A token given through <c>WithCancellation</c> reaches the inner sequence (and so the database).</remarks>
    public static async IAsyncEnumerable<Hit> OrderTiesAsync(
        IAsyncEnumerable<Hit> hitsByTimestamp,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hitsByTimestamp);
        var run = new List<Hit>();
        await foreach (var hit in hitsByTimestamp.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (run.Count > 0 && run[0].Timestamp != hit.Timestamp)
            {
                foreach (var pending in Flush(run))
                {
                    yield return pending;
                }
            }

            run.Add(hit);
        }

        foreach (var pending in Flush(run))
        {
            yield return pending;
        }
    }

    /// <summary>
    /// Reads the hits of <paramref name="range"/> (one site) in timestamp order, a page of at most
    /// <paramref name="pageSize"/> rows at a time, each page by its own call of <paramref name="readPage"/> — a statement
    /// over the range it is given, ordered by timestamp, with the row limit it is given (<see langword="null"/>: none) —
    /// so that no connection is held while the caller works through a page (an export written to a slow client held
    /// one for its whole download). A page is cut before its last timestamp, where the next page starts, so hits that
    /// share a timestamp are never split between pages; a page whose rows all share one timestamp is followed by that
    /// millisecond read whole. Not a snapshot: a hit stored during the read at or after the next page's start is read.
    /// </summary>
    /// <remarks>Feed the result to <see cref="OrderTiesAsync"/> for the reference order of ties.</remarks>
    public static async IAsyncEnumerable<Hit> ReadInPagesAsync(
        HitRange range,
        int pageSize,
        Func<HitRange, int?, CancellationToken, ValueTask<List<Hit>>> readPage,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(readPage);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 2);
        var from = range.From;
        while (from < range.To)
        {
            var page = await readPage(range with { From = from }, pageSize, cancellationToken).ConfigureAwait(false);
            if (page.Count < pageSize)
            {
                foreach (var hit in page)
                {
                    yield return hit;
                }

                yield break;
            }

            var last = page[^1].Timestamp;
            var cut = page.FindIndex(h => h.Timestamp == last);
            if (cut == 0)
            {
                // One millisecond holds a whole page (a bulk import): read that millisecond whole, then go on after it.
                var next = range.To - last > TimeSpan.FromMilliseconds(1) ? last.AddMilliseconds(1) : range.To;
                page = await readPage(range with { From = last, To = next }, null, cancellationToken).ConfigureAwait(false);
                cut = page.Count;
                last = next;
            }

            for (var i = 0; i < cut; i++)
            {
                yield return page[i];
            }

            from = last;
        }
    }

    private static List<Hit> Flush(List<Hit> run)
    {
        var sorted = run.Count > 1 ? run.OrderBy(h => h.Id).ToList() : [.. run];
        run.Clear();
        return sorted;
    }
}
