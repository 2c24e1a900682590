// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>
/// Moves raw hits into a store in batches: from an export file (<see cref="ImportAsync"/>) or from another store
/// (<see cref="CopyAsync"/>, a migration from SQLite to PostgreSQL or from one server to another).
/// </summary>
/// <remarks>
/// <para>Hits keep their ids, and a store skips an id it already holds, so running an import or a copy again (after an
/// error, a cancellation, or to pick up hits that arrived meanwhile) stores nothing twice. The hits go straight to
/// <see cref="IHitStore.AppendAsync"/>: the SQL stores mark the hours they touch for the rollup worker in the same
/// transaction, as they do for the beacon's batches, and cut over-long text as for any caller (docs/storage.md).</para>
/// <para>Nothing is checked beyond the file's format and <see cref="HitTransferOptions"/>: the hits are stored as they
/// are. A copy or an import between two stores with the same data gives the same answers from both.</para>
/// </remarks>
public static class HitTransfer
{
    /// <summary>Reads every hit of <paramref name="reader"/> and appends them to <paramref name="target"/> in batches.</summary>
    /// <param name="reader">The export being read.</param>
    /// <param name="target">The store that receives the hits.</param>
    /// <param name="options">Batch size and the checks of each hit; <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Told the counts after each batch; optional.</param>
    /// <param name="cancellationToken">Cancels the import between batches (the batches stored stay stored).</param>
    /// <returns>
    /// How many hits were read and appended, and of those how many the target added (when it can tell:
    /// <see cref="IHitStoreCountedAppend"/>).
    /// </returns>
    /// <exception cref="HitImportException">
    /// A line is not a hit of the export, or fails a check of <paramref name="options"/>: every hit before that line has
    /// been appended first (<see cref="HitImportException.HitsAppended"/>), none after it.
    /// </exception>
    public static async ValueTask<HitTransferResult> ImportAsync(HitExportReader reader, IHitStore target, HitTransferOptions? options = null, IProgress<HitTransferResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(target);
        var (batchSize, siteId, notAfter) = Validate(options);
        var batches = new Batches(target, batchSize);
        try
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } hit)
            {
                if (siteId is not null && !string.Equals(hit.SiteId, siteId, StringComparison.Ordinal))
                {
                    throw new HitImportException(reader.LineNumber, "site_id", $"the hit belongs to another site than {siteId} (an import moves one site's hits into the same site).");
                }

                if (hit.Timestamp > notAfter)
                {
                    throw new HitImportException(reader.LineNumber, "timestamp", $"the hit is later than {notAfter:yyyy-MM-ddTHH:mm:ssZ}, the latest time this import accepts.");
                }

                await batches.AddAsync(hit, progress, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HitImportException ex)
        {
            // What came before the bad line is fine: store it, so that the answer "every hit before line N is stored" holds.
            await batches.AppendAsync(cancellationToken).ConfigureAwait(false);
            var stored = batches.Result;
            ex.HitsRead = stored.Read;
            ex.HitsAppended = stored.Appended;
            ex.HitsAdded = stored.Added;
            throw;
        }

        return await batches.EndAsync(progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies the hits of <paramref name="range"/> from <paramref name="source"/> to <paramref name="target"/> in batches,
    /// oldest first (through <see cref="IHitStore.ReadAsync"/>).
    /// </summary>
    /// <param name="source">The store read from; nothing in it changes.</param>
    /// <param name="range">Which hits: a site (<see cref="HitRange.SiteId"/>; <see langword="null"/> for every site) and a time range.</param>
    /// <param name="target">The store that receives the hits.</param>
    /// <param name="options">The batch size; the import-only checks are ignored. <see langword="null"/> for the defaults.</param>
    /// <param name="progress">Told the counts after each batch; optional.</param>
    /// <param name="cancellationToken">Cancels the copy between batches (the batches stored stay stored; copy again to finish).</param>
    /// <returns>
    /// How many hits were read and appended, and of those how many the target added (when it can tell:
    /// <see cref="IHitStoreCountedAppend"/>).
    /// </returns>
    public static async ValueTask<HitTransferResult> CopyAsync(IHitStore source, HitRange range, IHitStore target, HitTransferOptions? options = null, IProgress<HitTransferResult>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(target);
        var (batchSize, _, _) = Validate(options);
        var batches = new Batches(target, batchSize);
        await foreach (var hit in source.ReadAsync(range, cancellationToken).ConfigureAwait(false))
        {
            await batches.AddAsync(hit, progress, cancellationToken).ConfigureAwait(false);
        }

        return await batches.EndAsync(progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives <paramref name="target"/> the daily visitor-id salts <paramref name="source"/> uses for yesterday, today and
    /// tomorrow (UTC: every site's local day lies in them), so that a visitor seen before a switch of stores keeps their
    /// visitor id after it and is counted once that day. Call it after the last <see cref="CopyAsync"/> and before the app
    /// starts on <paramref name="target"/>: a store keeps the first salt it is given for a day.
    /// </summary>
    /// <remarks>
    /// Both stores must keep salts (<see cref="IVisitorSaltStore"/>; the SQL stores and the in-memory store do), else
    /// nothing is copied. A day without a salt in <paramref name="source"/> gets a new random one there first (an app would
    /// have made it anyway). Salts are deleted soon after their day by the app, in either store, as always: copying them
    /// keeps no old visitor id computable for longer (docs/privacy.md).
    /// </remarks>
    /// <param name="source">The store the app ran on.</param>
    /// <param name="target">The store it moves to.</param>
    /// <param name="timeProvider">The clock that says which days those are; <see langword="null"/> for the system clock.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>
    /// How many of the three days the two stores now share a salt for: 3 when every salt was copied, fewer when
    /// <paramref name="target"/> already had its own salt for a day (an app already ran on it that day: its visitors and
    /// the source's of that day get different ids), 0 when either store keeps no salts.
    /// </returns>
    public static async ValueTask<int> CopySaltsAsync(IHitStore source, IHitStore target, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source is not IVisitorSaltStore from || target is not IVisitorSaltStore to)
        {
            return 0;
        }

        var today = DateOnly.FromDateTime((timeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime);
        var shared = 0;
        foreach (var day in new[] { today.AddDays(-1), today, today.AddDays(1) })
        {
            var salt = await from.GetOrAddSaltAsync(day, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), cancellationToken).ConfigureAwait(false);
            var kept = await to.GetOrAddSaltAsync(day, salt, cancellationToken).ConfigureAwait(false);
            if (kept.AsSpan().SequenceEqual(salt))
            {
                shared++;
            }
        }

        return shared;
    }

    private static (int BatchSize, string? SiteId, DateTimeOffset NotAfter) Validate(HitTransferOptions? options)
    {
        options ??= new HitTransferOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, nameof(options));
        return (options.BatchSize, options.SiteId, options.NotAfter ?? DateTimeOffset.MaxValue);
    }

    /// <summary>
    /// The batches of one import or copy: the hits read, gathered up to the batch size and appended, and the counts so
    /// far (<see cref="HitTransferResult.Added"/> only when the target can tell: <see cref="IHitStoreCountedAppend"/>).
    /// </summary>
    private sealed class Batches(IHitStore target, int batchSize)
    {
        private readonly IHitStoreCountedAppend? _counted = target as IHitStoreCountedAppend;
        private readonly List<Hit> _batch = new(batchSize);
        private long _read;
        private long _appended;
        private long _added;

        public HitTransferResult Result => new(_read, _appended) { Added = _counted is null ? null : _added };

        /// <summary>Adds a hit read; appends the batch when it is full and reports the counts.</summary>
        public async ValueTask AddAsync(Hit hit, IProgress<HitTransferResult>? progress, CancellationToken cancellationToken)
        {
            _read++;
            _batch.Add(hit);
            if (_batch.Count >= batchSize)
            {
                await AppendAsync(cancellationToken).ConfigureAwait(false);
                progress?.Report(Result);
            }
        }

        /// <summary>Appends the last batch and reports the final counts.</summary>
        public async ValueTask<HitTransferResult> EndAsync(IProgress<HitTransferResult>? progress, CancellationToken cancellationToken)
        {
            await AppendAsync(cancellationToken).ConfigureAwait(false);
            var result = Result;
            progress?.Report(result);
            return result;
        }

        /// <summary>Appends the hits gathered so far, if any; counted once the store has them.</summary>
        public async ValueTask AppendAsync(CancellationToken cancellationToken)
        {
            if (_batch.Count == 0)
            {
                return;
            }

            // A copy of the list: a store may keep the batch it was given (the in-memory store keeps the hits, not the
            // list, but a custom store might queue the list itself).
            Hit[] hits = [.. _batch];
            _batch.Clear();
            if (_counted is not null)
            {
                _added += await _counted.AppendCountedAsync(hits, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await target.AppendAsync(hits, cancellationToken).ConfigureAwait(false);
            }

            _appended += hits.Length;
        }
    }
}
