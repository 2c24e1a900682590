using Microsoft.Extensions.Options;

namespace FrancisBeacon;

/// <summary>Checks <see cref="BeaconOptions"/> at host start and lists every problem at once.</summary>
public sealed class BeaconOptionsValidator : IValidateOptions<BeaconOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BeaconOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrEmpty(options.PathPrefix) || options.PathPrefix[0] != '/' || options.PathPrefix.EndsWith('/'))
        {
            errors.Add($"PathPrefix '{options.PathPrefix}' must start with '/' and not end with '/'.");
        }

        if (options.QueueCapacity is < 1 or > 10_000_000)
        {
            errors.Add($"QueueCapacity must be between 1 and 10000000 (was {options.QueueCapacity}).");
        }

        if (options.QueueMaxBytes is < 1024 * 1024 or > 16L * 1024 * 1024 * 1024)
        {
            errors.Add($"QueueMaxBytes must be between 1048576 (1 MiB) and 17179869184 (16 GiB) (was {options.QueueMaxBytes}).");
        }

        if (options.QueueFullRetryAfter < TimeSpan.FromSeconds(1) || options.QueueFullRetryAfter > TimeSpan.FromHours(1))
        {
            errors.Add($"QueueFullRetryAfter must be between 1 second and 1 hour (was {options.QueueFullRetryAfter}).");
        }

        if (!Enum.IsDefined(options.QueueFullMode))
        {
            errors.Add($"QueueFullMode '{options.QueueFullMode}' is not Drop or Refuse.");
        }

        if (options.Spool.SegmentBytes is < 1024 * 1024 or > 1024L * 1024 * 1024)
        {
            errors.Add($"Spool.SegmentBytes must be between 1048576 (1 MiB) and 1073741824 (1 GiB) (was {options.Spool.SegmentBytes}).");
        }

        if (!Enum.IsDefined(options.Spool.SyncMode))
        {
            errors.Add($"Spool.SyncMode '{options.Spool.SyncMode}' is not BeforeFlush or Always.");
        }

        if (options.RollupWorkerNice is < 0 or > 19)
        {
            errors.Add($"RollupWorkerNice must be between 0 (the app's priority) and 19 (was {options.RollupWorkerNice}).");
        }

        if (options.MaxBatchSize is < 1 or > 100_000)
        {
            errors.Add($"MaxBatchSize must be between 1 and 100000 (was {options.MaxBatchSize}).");
        }

        if (options.MaxBacklogBatchSize is < 1 or > 1_000_000)
        {
            errors.Add($"MaxBacklogBatchSize must be between 1 and 1000000 (was {options.MaxBacklogBatchSize}).");
        }

        if (options.FlushInterval <= TimeSpan.Zero || options.FlushInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"FlushInterval must be more than zero and at most one minute (was {options.FlushInterval}).");
        }

        if (options.MaxBodyBytes is < 256 or > 1024 * 1024)
        {
            errors.Add($"MaxBodyBytes must be between 256 and 1048576 (was {options.MaxBodyBytes}).");
        }

        if (options.RetentionPeriod < TimeSpan.Zero || (options.RetentionPeriod > TimeSpan.Zero && options.RetentionPeriod < TimeSpan.FromDays(1)))
        {
            errors.Add($"RetentionPeriod must be zero (keep forever) or at least one day (was {options.RetentionPeriod}).");
        }

        if (options.RollupRetentionPeriod is { } rollups && rollups != TimeSpan.Zero &&
            (rollups < TimeSpan.FromDays(1) || options.RetentionPeriod == TimeSpan.Zero || rollups < options.RetentionPeriod))
        {
            errors.Add($"RollupRetentionPeriod must be unset (as long as hits), zero (keep forever) or at least RetentionPeriod, which must then not be zero (was {rollups}).");
        }

        if (options.BotLogSize is < 0 or > 100_000)
        {
            errors.Add($"BotLogSize must be between 0 and 100000 (was {options.BotLogSize}).");
        }

        if (options.VisitorIpv4PrefixLength is < 8 or > 32)
        {
            errors.Add($"VisitorIpv4PrefixLength must be between 8 and 32 (was {options.VisitorIpv4PrefixLength}).");
        }

        if (options.VisitorIpv6PrefixLength is < 16 or > 128)
        {
            errors.Add($"VisitorIpv6PrefixLength must be between 16 and 128 (was {options.VisitorIpv6PrefixLength}).");
        }

        if (options.MaxQueryStringLength is < 256 or > 65_536)
        {
            errors.Add($"MaxQueryStringLength must be between 256 and 65536 (was {options.MaxQueryStringLength}).");
        }

        ValidateRateLimiting(options.RateLimiting, errors);
        ValidateQueryConcurrency(options.QueryConcurrency, errors);
        ValidateServerSideTracking(options.ServerSideTracking, errors);

        if (!SiteTimeZones.TryFind(options.DefaultTimeZone, out _))
        {
            errors.Add($"DefaultTimeZone '{options.DefaultTimeZone}' is not a known IANA time zone.");
        }

        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hosts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Sites.Count; i++)
        {
            var site = options.Sites[i];
            if (string.IsNullOrWhiteSpace(site.Id))
            {
                errors.Add($"Sites[{i}].Id is required.");
                continue;
            }

            if (!HitText.Fits(site.Id, HitLimits.MaxShortTextBytes))
            {
                errors.Add($"Sites[{i}].Id is longer than {HitLimits.MaxShortTextBytes} bytes of UTF-8.");
            }

            if (!ids.Add(site.Id))
            {
                errors.Add($"Sites[{i}].Id '{site.Id}' is configured twice.");
            }

            if (!SiteTimeZones.TryFind(site.TimeZone, out _))
            {
                errors.Add($"Sites[{i}].TimeZone '{site.TimeZone}' is not a known IANA time zone.");
            }

            // The query API asks every store for this currency's revenue, and a query refuses anything but three
            // upper-case letters: a site with "eur" would answer each total_revenue query 400 instead of failing here.
            if (site.RevenueCurrency is not { Length: 3 } currency || !currency.All(char.IsAsciiLetterUpper))
            {
                errors.Add($"Sites[{i}].RevenueCurrency '{site.RevenueCurrency}' is not an ISO 4217 code of three upper-case letters, such as EUR.");
            }

            for (var g = 0; g < site.Goals.Count; g++)
            {
                var goal = site.Goals[g];
                if (goal is null || string.IsNullOrEmpty(goal.EventName) == string.IsNullOrEmpty(goal.PagePath))
                {
                    errors.Add($"Sites[{i}].Goals[{g}] needs exactly one of EventName and PagePath.");
                    continue;
                }

                try
                {
                    _ = string.IsNullOrEmpty(goal.EventName) ? Querying.HitGoal.Page(goal.PagePath!) : Querying.HitGoal.Event(goal.EventName);
                }
                catch (Querying.HitQueryException e)
                {
                    errors.Add($"Sites[{i}].Goals[{g}]: {e.Reason}");
                }
            }

            if (site.Goals.Where(g => g is not null).GroupBy(g => g.EventName ?? "Visit " + g.PagePath, StringComparer.Ordinal).Any(x => x.Count() > 1))
            {
                errors.Add($"Sites[{i}].Goals lists a goal twice.");
            }

            foreach (var host in site.Hostnames.Count == 0 ? [site.Id] : site.Hostnames)
            {
                if (string.IsNullOrWhiteSpace(host))
                {
                    errors.Add($"Sites[{i}].Hostnames has an empty entry.");
                }
                else if (hosts.TryGetValue(host, out var other))
                {
                    errors.Add($"Sites[{i}] host name '{host}' also belongs to site '{other}'.");
                }
                else
                {
                    hosts[host] = site.Id;
                }
            }
        }

        if (options.DefaultSiteId is { } longSite && !HitText.Fits(longSite, HitLimits.MaxShortTextBytes))
        {
            errors.Add($"DefaultSiteId is longer than {HitLimits.MaxShortTextBytes} bytes of UTF-8.");
        }

        if (options.DefaultSiteId is { } defaultSite && options.Sites.Count > 0 && !ids.Contains(defaultSite))
        {
            errors.Add($"DefaultSiteId '{defaultSite}' is not one of the configured Sites.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateServerSideTracking(ServerSideTrackingOptions options, List<string> errors)
    {
        if (options.ConfirmationTimeout < TimeSpan.FromSeconds(1) || options.ConfirmationTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"ServerSideTracking.ConfirmationTimeout must be between 1 second and 10 minutes (was {options.ConfirmationTimeout}).");
        }

        for (var i = 0; i < options.ExcludePaths.Count; i++)
        {
            var path = options.ExcludePaths[i];
            if (string.IsNullOrEmpty(path) || path[0] != '/')
            {
                errors.Add($"ServerSideTracking.ExcludePaths[{i}] '{path}' must start with '/'.");
            }
        }
    }

    private static void ValidateQueryConcurrency(BeaconQueryConcurrencyOptions limits, List<string> errors)
    {
        if (limits.Limit is < 0 or > 1024)
        {
            errors.Add($"QueryConcurrency.Limit must be between 0 (no bound) and 1024 (was {limits.Limit}).");
        }

        if (limits.Exports is < 0 or > 1024)
        {
            errors.Add($"QueryConcurrency.Exports must be between 0 (no bound) and 1024 (was {limits.Exports}).");
        }

        if (limits.QueueLimit is < 0 or > 100_000)
        {
            errors.Add($"QueryConcurrency.QueueLimit must be between 0 and 100000 (was {limits.QueueLimit}).");
        }

        if (limits.QueueTimeout < TimeSpan.FromMilliseconds(1) || limits.QueueTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"QueryConcurrency.QueueTimeout must be between one millisecond and ten minutes (was {limits.QueueTimeout}).");
        }
    }

    private static void ValidateRateLimiting(BeaconRateLimitOptions limits, List<string> errors)
    {
        if (limits.PermitLimit is < 1 or > 1_000_000)
        {
            errors.Add($"RateLimiting.PermitLimit must be between 1 and 1000000 (was {limits.PermitLimit}).");
        }

        if (limits.Window < TimeSpan.FromSeconds(1) || limits.Window > TimeSpan.FromHours(1))
        {
            errors.Add($"RateLimiting.Window must be between one second and one hour (was {limits.Window}).");
        }

        if (!Enum.IsDefined(limits.Action))
        {
            errors.Add($"RateLimiting.Action must be Reject or Drop (was {limits.Action}).");
        }

        if (limits.Ipv4PrefixLength is < 8 or > 32)
        {
            errors.Add($"RateLimiting.Ipv4PrefixLength must be between 8 and 32 (was {limits.Ipv4PrefixLength}).");
        }

        if (limits.Ipv6PrefixLength is < 16 or > 128)
        {
            errors.Add($"RateLimiting.Ipv6PrefixLength must be between 16 and 128 (was {limits.Ipv6PrefixLength}).");
        }
    }
}
