// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using Dapper;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Rollups kept longer than raw hits: a raw-hit retention purge records, per site, the first site-local day whose raw
/// hits are all still there (<c>rollup_horizon</c>, migration 0007). Days before it keep their day and month rollup rows
/// (until a purge with <see cref="HitRange.IncludeDerivedData"/> removes them); they are never marked dirty, never
/// rebuilt and never computed on the fly from the few raw hits that may remain of them.
/// </content>
public sealed partial class HitRollups
{
    private string Horizon => _t.Prefix + "rollup_horizon";

    /// <summary>
    /// Whether a purge is raw-hit retention: everything before a time, keeping derived data. Such a purge keeps the
    /// rollups of the days it empties (their horizon moves), so a store marks none of its hours for a rebuild.
    /// </summary>
    /// <param name="range">The purge's range.</param>
    public static bool IsRawRetention(HitRange range) =>
        !range.IncludeDerivedData && range.From == DateTimeOffset.MinValue && range.To != DateTimeOffset.MaxValue;

    /// <summary>The first day of the site whose raw hits are complete (days before it only have rollups).</summary>
    private async ValueTask<long> HorizonAsync(DbConnection connection, string siteId, CancellationToken cancellationToken) =>
        await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT first_day FROM {Horizon} WHERE site_id = @site_id", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false)
        ?? long.MinValue;

    private async ValueTask DeleteHorizonAsync(DbConnection connection, DbTransaction transaction, string siteId, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {Horizon} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

    /// <summary>
    /// Raw hits before <see cref="HitRange.To"/> were deleted, rollups kept: moves the horizon of every site with
    /// rollups (or the range's site) to the day after the one holding the last deleted instant. That day, partly
    /// deleted, keeps the rollups built from all its hits.
    /// </summary>
    private async ValueTask OnRawRetentionAsync(HitRange range, CancellationToken cancellationToken)
    {
        await using var connection = await _t.OpenAsync(cancellationToken).ConfigureAwait(false);
        var sites = (await connection.QueryAsync<(string SiteId, string TimeZone)>(new CommandDefinition(
            $"SELECT site_id, time_zone FROM {_sites}", cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        foreach (var (siteId, zoneId) in sites)
        {
            if ((range.SiteId is not null && !string.Equals(range.SiteId, siteId, StringComparison.Ordinal)) || !SiteTimeZones.TryFind(zoneId, out var zone))
            {
                continue;
            }

            var firstDay = DayOf(range.To.ToUnixTimeMilliseconds() - 1, zone) + 1;
            var current = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                $"SELECT first_day FROM {Horizon} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (current >= firstDay)
            {
                continue;
            }

            // Session rollups hold visitor ids and each visit's pages: per-visit data, which retention treats like the raw
            // hits it came from.
            foreach (var table in _sessions.TableNames)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE site_id = @site_id AND day < @first_day", new { site_id = siteId, first_day = firstDay }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await _sessions.DeleteSegmentBlocksBeforeAsync(connection, transaction, siteId, firstDay, cancellationToken).ConfigureAwait(false);

            // DELETE and INSERT rather than an upsert: the app's role needs only SELECT, INSERT and DELETE.
            await DeleteHorizonAsync(connection, transaction, siteId, cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {Horizon} (site_id, first_day) VALUES (@site_id, @first_day)", new { site_id = siteId, first_day = firstDay }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
