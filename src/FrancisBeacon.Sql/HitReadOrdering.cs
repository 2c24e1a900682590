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

    private static List<Hit> Flush(List<Hit> run)
    {
        var sorted = run.Count > 1 ? run.OrderBy(h => h.Id).ToList() : [.. run];
        run.Clear();
        return sorted;
    }
}
