using System.Runtime.CompilerServices;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Storage;

/// <summary>
/// The reference store: keeps hits in memory and answers every query with plain LINQ. It defines the semantics
/// every other store must match, and suits tests and throwaway demos; its data is lost when the process ends.
/// </summary>
public sealed class InMemoryHitStore : IHitStore, IVisitorSaltStore, IHitStoreCountedAppend
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Hit> _hits = [];
    private readonly Dictionary<DateOnly, byte[]> _salts = [];

    /// <summary>How many hits the store holds.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _hits.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        _ = Append(hits, cancellationToken);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<int> AppendCountedAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Append(hits, cancellationToken));

    private int Append(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        cancellationToken.ThrowIfCancellationRequested();
        var added = 0;
        lock (_gate)
        {
            foreach (var hit in hits)
            {
                if (_hits.TryAdd(hit.Id, Normalise(hit)))
                {
                    added++;
                }
            }
        }

        return added;
    }

    /// <inheritdoc />
    public async ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        if (await CompositeQueries.TryAnswerAsync(this, query, cancellationToken) is { } composite)
        {
            return composite;
        }

        query.Validate();
        List<Hit> inRange;
        lock (_gate)
        {
            inRange = _hits.Values
                .Where(h => string.Equals(h.SiteId, query.SiteId, StringComparison.Ordinal) &&
                            h.Timestamp >= query.From && h.Timestamp < query.To)
                .ToList();
        }

        IEnumerable<(string[] Key, double[] Metrics)> groups;
        if (!query.NeedsSessions)
        {
            var matching = query.Filter is null ? inRange : inRange.Where(h => Evaluate(query.Filter, h, null)).ToList();
            groups = matching
                .GroupBy(h => DimensionKey(h, query), DimensionKeyComparer.Instance)
                .Select(g => (g.Key, query.Metrics.Select(m => Compute(m, g, query)).ToArray()))
                .ToList();
        }
        else
        {
            // Sessions come from every hit in the range; filters then pick hits, judging visit:* conditions on the
            // hit's session. A session counts when at least one of its hits is kept.
            var all = Sessionise(inRange, query.SessionTimeout);
            var kept = new List<Hit>();
            var sessions = new List<Session>();
            foreach (var session in all)
            {
                session.Keep(query.Filter is null ? session.Hits : session.Hits.Where(h => Evaluate(query.Filter, h, session)));
                if (session.KeptEvents > 0)
                {
                    sessions.Add(session);
                    kept.AddRange(session.KeptHits);
                }
            }

            if (query.Dimensions.Any(d => d.IsVisit))
            {
                // Every metric over the matching sessions and their kept hits.
                groups = sessions
                    .GroupBy(s => SessionKey(s, query), DimensionKeyComparer.Instance)
                    .Select(g => (g.Key, query.Metrics.Select(m => ComputeOverSessions(m, g.ToList(), query)).ToArray()))
                    .ToList();
            }
            else
            {
                // Event metrics over the kept hits in each bucket; session metrics over the sessions that start in it.
                var byHits = kept.GroupBy(h => DimensionKey(h, query), DimensionKeyComparer.Instance)
                    .ToDictionary(g => g.Key, g => g.ToList(), DimensionKeyComparer.Instance);
                var bySessions = query.Metrics.Any(m => m.IsSessionMetric())
                    ? sessions.GroupBy(s => SessionKey(s, query), DimensionKeyComparer.Instance)
                        .ToDictionary(g => g.Key, g => g.ToList(), DimensionKeyComparer.Instance)
                    : new Dictionary<string[], List<Session>>(DimensionKeyComparer.Instance);
                groups = byHits.Keys.Union(bySessions.Keys, DimensionKeyComparer.Instance)
                    .Select(key => (key, query.Metrics.Select(m => m.IsSessionMetric()
                        ? ComputeOverSessions(m, bySessions.GetValueOrDefault(key) ?? [], query)
                        : Compute(m, byHits.GetValueOrDefault(key) ?? [], query)).ToArray()))
                    .ToList();
            }
        }

        if (query.Dimensions.Count == 0 && !groups.Any())
        {
            // One totals row even when nothing matched, as the SQL stores' ungrouped aggregate gives; like every
            // row (and like SQL's LIMIT/OFFSET on that aggregate) it is subject to Offset and Limit.
            groups = [([], query.Metrics.Select(_ => 0d).ToArray())];
        }

        var ordered = Order(groups, query);
        IEnumerable<(string[] Key, double[] Metrics)> paged = ordered.Skip(query.Offset);
        if (query.Limit is { } limit)
        {
            paged = paged.Take(limit);
        }

        var rows = paged.Select(r => new AggregateRow(r.Key, r.Metrics)).ToList();
        return new AggregateResult(rows);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<Hit> ReadAsync(HitRange range, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        List<Hit> snapshot;
        lock (_gate)
        {
            snapshot = _hits.Values.Where(range.Contains).OrderBy(h => h.Timestamp).ThenBy(h => h.Id).ToList();
        }

        foreach (var hit in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return hit;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var doomed = _hits.Values.Where(range.Contains).Select(h => h.Id).ToList();
            foreach (var id in doomed)
            {
                _hits.Remove(id);
            }

            return ValueTask.FromResult((long)doomed.Count);
        }
    }

    /// <inheritdoc />
    public ValueTask<byte[]> GetOrAddSaltAsync(DateOnly day, byte[] candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_salts.TryGetValue(day, out var salt))
            {
                salt = candidate.ToArray();
                _salts[day] = salt;
            }

            return ValueTask.FromResult(salt.ToArray());
        }
    }

    /// <inheritdoc />
    public ValueTask<int> DeleteSaltsBeforeAsync(DateOnly day, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var doomed = _salts.Keys.Where(d => d < day).ToList();
            foreach (var d in doomed)
            {
                _salts.Remove(d);
            }

            return ValueTask.FromResult(doomed.Count);
        }
    }

    private static Hit Normalise(Hit hit)
    {
        // Stores keep milliseconds; so does the reference.
        var ticks = hit.Timestamp.UtcTicks;
        var ts = new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        var revenue = hit.RevenueAmount is { } amount ? decimal.Round(amount, 6, MidpointRounding.AwayFromZero) : (decimal?)null;
        // Values longer than HitLimits' sizes in bytes are cut, and properties over its bounds, as every store cuts them
        // (HitText.Truncate).
        var cut = HitText.Truncate(hit);
        var props = new Dictionary<string, string>(cut.Properties, StringComparer.Ordinal).AsReadOnly();
        return cut with { Timestamp = ts, Properties = props, RevenueAmount = revenue };
    }

    private static string[] DimensionKey(Hit hit, HitQuery query)
    {
        var key = new string[query.Dimensions.Count];
        for (var i = 0; i < key.Length; i++)
        {
            var dimension = query.Dimensions[i];
            key[i] = dimension.IsTime
                ? dimension.BucketLabel(TimeZoneInfo.ConvertTime(hit.Timestamp, query.TimeZone).DateTime)
                : dimension.Kind == HitDimensionKind.Event
                    ? dimension.ValueOf(hit)
                    : throw new HitQueryException("dimensions", $"Unsupported dimension {dimension.Name} for hits.");
        }

        return key;
    }

    private static double Compute(HitMetric metric, IEnumerable<Hit> hits, HitQuery query)
    {
        switch (metric)
        {
            case HitMetric.Pageviews: return hits.Count(IsPageview);
            case HitMetric.Visitors: return hits.Select(h => h.VisitorId).Distinct().Count();
            case HitMetric.Events: return hits.Count();
            case HitMetric.TotalRevenue or HitMetric.AverageRevenue:
                // In whole millionths, as the SQL stores compute it, summed as decimal (ten hits of the largest amount
                // accepted pass a long's range).
                var micros = hits.Where(h => h.RevenueAmount is not null && string.Equals(h.RevenueCurrency, query.RevenueCurrency, StringComparison.Ordinal))
                    .Select(h => (decimal)(long)(h.RevenueAmount!.Value * 1_000_000m)).ToList();
                var sum = micros.Sum();
                decimal count = micros.Count;
                var value = metric == HitMetric.TotalRevenue ? sum : count == 0 ? 0 : decimal.Truncate(((2 * sum) + count) / (2 * count));
                return (double)value / 1_000_000d;
            default:
                throw new HitQueryException("metrics", $"Unsupported metric {metric}.");
        }
    }

    private static double ComputeOverSessions(HitMetric metric, List<Session> sessions, HitQuery query)
    {
        long visits = sessions.Count;
        switch (metric)
        {
            case HitMetric.TotalRevenue or HitMetric.AverageRevenue: return Compute(metric, sessions.SelectMany(s => s.KeptHits), query);
            case HitMetric.Visitors: return sessions.Select(s => s.VisitorId).Distinct().Count();
            case HitMetric.Pageviews: return sessions.Sum(s => s.KeptPageviews);
            case HitMetric.Events: return sessions.Sum(s => s.KeptEvents);
            case HitMetric.Visits: return visits;
            case HitMetric.BounceRate:
                long bounces = sessions.Count(s => s.Events == 1 && s.Pageviews == 1);
                return visits == 0 ? 0 : ((200 * bounces) + visits) / (2 * visits);
            case HitMetric.VisitDuration:
                var totalMs = sessions.Sum(s => (long)(s.End - s.Start).TotalMilliseconds);
                return visits == 0 ? 0 : (totalMs + (500 * visits)) / (1000 * visits);
            case HitMetric.ViewsPerVisit:
                long pageviews = sessions.Sum(s => s.Pageviews);
                return visits == 0 ? 0 : (((200 * pageviews) + visits) / (2 * visits)) / 100.0;
            default:
                throw new HitQueryException("metrics", $"Unsupported metric {metric}.");
        }
    }

    /// <summary>
    /// Whether a hit passes a filter. Event conditions look at the hit; visit conditions look at its session (the
    /// session's first hit for attributes, its entry and exit page), so a visit filter keeps whole sessions.
    /// </summary>
    private static bool Evaluate(HitFilter filter, Hit hit, Session? session) => filter switch
    {
        HitFilterCondition condition => condition.Test(ValueFor(condition.Dimension, hit, session)),
        HitFilterAnd and => and.Filters.All(f => Evaluate(f, hit, session)),
        HitFilterOr or => or.Filters.Any(f => Evaluate(f, hit, session)),
        HitFilterNot not => !Evaluate(not.Filter, hit, session),
        // has_done / has_not_done: whether any hit of the hit's session (in the range) passes the inner filter.
        HitFilterHasDone done => (session ?? throw new InvalidOperationException("has_done needs sessions.")).HasDone(done, h => Evaluate(done.Filter, h, session)) != done.Negated,
        _ => throw new HitQueryException("filters", "Unknown filter."),
    };

    private static string ValueFor(HitDimension dimension, Hit hit, Session? session)
    {
        if (!dimension.IsVisit)
        {
            return dimension.ValueOf(hit);
        }

        if (session is null)
        {
            throw new InvalidOperationException($"The visit dimension {dimension.Name} needs sessions.");
        }

        return dimension == HitDimension.EntryPage ? session.Entry
            : dimension == HitDimension.ExitPage ? session.Exit
            : dimension.ValueOf(session.First);
    }

    private static bool IsPageview(Hit hit) => string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal);

    /// <summary>
    /// Splits hits into sessions: per visitor, ordered by (time, path, event name, id), cut at gaps of at least
    /// <paramref name="timeout"/>. The id makes the order total, so a session's first hit (its visit attributes, entry
    /// page and link) never depends on the order hits were appended in.
    /// </summary>
    private static List<Session> Sessionise(List<Hit> hits, TimeSpan timeout)
    {
        var sessions = new List<Session>();
        foreach (var visitor in hits.GroupBy(h => h.VisitorId))
        {
            Session? current = null;
            var ordered = visitor
                .OrderBy(h => h.Timestamp)
                .ThenBy(h => h.Path, Utf8OrdinalComparer.Instance)
                .ThenBy(h => h.EventName, Utf8OrdinalComparer.Instance)
                .ThenBy(h => h.Id);
            foreach (var hit in ordered)
            {
                if (current is null || hit.Timestamp - current.End >= timeout)
                {
                    current = new Session(visitor.Key, hit);
                    sessions.Add(current);
                }

                current.Add(hit);
            }
        }

        return MergeAcrossMidnight(sessions, timeout);
    }

    /// <summary>
    /// Joins a session to the one it continues across the site's midnight: session S (whose first hit carries
    /// <see cref="Hit.PreviousVisitorId"/> P) continues P's session T when T ends at or before S starts and the gap is
    /// under the timeout. T must not itself continue another session; when several sessions could continue one T,
    /// the earliest (then the lowest visitor id) does. The joined session keeps T's visitor, start and entry page.
    /// </summary>
    private static List<Session> MergeAcrossMidnight(List<Session> sessions, TimeSpan timeout)
    {
        var byVisitor = sessions.ToLookup(x => x.VisitorId);
        var raw = new List<(Session S, Session T)>();
        foreach (var s in sessions)
        {
            if (s.Link is not { } link)
            {
                continue;
            }

            foreach (var t in byVisitor[link])
            {
                if (!ReferenceEquals(s, t) && t.End <= s.Start && s.Start - t.End < timeout)
                {
                    raw.Add((s, t));
                }
            }
        }

        if (raw.Count == 0)
        {
            return sessions;
        }

        var continuing = raw.Select(r => r.S).ToHashSet();
        var chosen = raw
            .Where(r => !continuing.Contains(r.T))
            .GroupBy(r => r.T)
            .Select(g => g.OrderBy(r => r.S.Start).ThenBy(r => r.S.VisitorId).First())
            .ToList();
        foreach (var (s, t) in chosen)
        {
            t.Absorb(s);
        }

        var absorbed = chosen.Select(r => r.S).ToHashSet();
        return sessions.Where(x => !absorbed.Contains(x)).ToList();
    }

    private static string[] SessionKey(Session session, HitQuery query)
    {
        var key = new string[query.Dimensions.Count];
        for (var i = 0; i < key.Length; i++)
        {
            var dimension = query.Dimensions[i];
            key[i] = dimension == HitDimension.EntryPage ? session.Entry
                : dimension == HitDimension.ExitPage ? session.Exit
                : dimension.IsTime ? dimension.BucketLabel(TimeZoneInfo.ConvertTime(session.Start, query.TimeZone).DateTime)
                : dimension.IsVisit ? dimension.ValueOf(session.First)
                : throw new HitQueryException("dimensions", $"Unsupported dimension {dimension.Name} for sessions.");
        }

        return key;
    }

    private sealed class Session(long visitorId, Hit first)
    {
        public long VisitorId { get; } = visitorId;

        public Hit First { get; } = first;

        public long? Link { get; } = first.PreviousVisitorId;

        public DateTimeOffset Start { get; } = first.Timestamp;

        public DateTimeOffset End { get; private set; } = first.Timestamp;

        public string Entry { get; } = first.Path;

        public string Exit { get; private set; } = first.Path;

        public long Pageviews { get; private set; }

        public long Events { get; private set; }

        /// <summary>The session's hits in order (those of a session it absorbed across midnight included).</summary>
        public List<Hit> Hits { get; } = [];

        public List<Hit> KeptHits { get; private set; } = [];

        private Dictionary<HitFilterHasDone, bool>? _done;

        /// <summary>Whether some hit of the session passes <paramref name="test"/>, once per behavioural filter.</summary>
        public bool HasDone(HitFilterHasDone filter, Func<Hit, bool> test)
        {
            _done ??= new Dictionary<HitFilterHasDone, bool>(ReferenceEqualityComparer.Instance);
            if (!_done.TryGetValue(filter, out var done))
            {
                done = Hits.Any(test);
                _done[filter] = done;
            }

            return done;
        }

        public long KeptPageviews { get; private set; }

        public long KeptEvents => KeptHits.Count;

        public void Keep(IEnumerable<Hit> hits)
        {
            KeptHits = hits.ToList();
            KeptPageviews = KeptHits.Count(IsPageview);
        }

        public void Absorb(Session next)
        {
            End = next.End;
            Exit = next.Exit;
            Pageviews += next.Pageviews;
            Events += next.Events;
            Hits.AddRange(next.Hits);
        }

        public void Add(Hit hit)
        {
            Hits.Add(hit);
            End = hit.Timestamp;
            Exit = hit.Path;
            Events++;
            if (IsPageview(hit))
            {
                Pageviews++;
            }
        }
    }

    private static IEnumerable<(string[] Key, double[] Metrics)> Order(
        IEnumerable<(string[] Key, double[] Metrics)> rows, HitQuery query)
    {
        if (query.Dimensions.Count > 0 && query.Dimensions[0].IsTime)
        {
            // yyyy-MM-dd sorts chronologically as text; later dimensions break ties.
            return rows.OrderBy(r => r.Key, KeyComparer.Instance);
        }

        return rows.OrderByDescending(r => r.Metrics[0]).ThenBy(r => r.Key, KeyComparer.Instance);
    }

    private sealed class KeyComparer : IComparer<string[]>
    {
        public static KeyComparer Instance { get; } = new();

        public int Compare(string[]? x, string[]? y)
        {
            for (var i = 0; i < x!.Length; i++)
            {
                var c = Utf8OrdinalComparer.Instance.Compare(x[i], y![i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return 0;
        }
    }

    private sealed class DimensionKeyComparer : IEqualityComparer<string[]>
    {
        public static DimensionKeyComparer Instance { get; } = new();

        public bool Equals(string[]? x, string[]? y) => x!.AsSpan().SequenceEqual(y);

        public int GetHashCode(string[] obj)
        {
            var hash = default(HashCode);
            foreach (var s in obj)
            {
                hash.Add(s, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}
