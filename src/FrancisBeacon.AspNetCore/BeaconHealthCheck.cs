using FrancisBeacon.AspNetCore;
using FrancisBeacon.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FrancisBeacon.AspNetCore
{
    /// <summary>
    /// Reports the beacon's health: <c>Unhealthy</c> while the store reports a problem of its own
    /// (<see cref="IHitStoreHealth"/>: SQLite's file deleted or replaced) or the writer cannot write to it, <c>Degraded</c> when
    /// the write queue is more than 80 % full (by count or by bytes) or turning hits away, otherwise <c>Healthy</c> after a cheap query has reached the store.
    /// </summary>
    internal sealed class BeaconHealthCheck(HitWriter writer, HitQueue queue, IHitStore store, TimeProvider time) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var data = new Dictionary<string, object>
            {
                ["queue_length"] = queue.Count,
                ["queue_capacity"] = queue.Capacity,
                ["queue_bytes"] = queue.Bytes,
                ["queue_max_bytes"] = queue.MaxBytes,
                ["consecutive_write_failures"] = writer.ConsecutiveFailures,
            };
            // What the store sees wrong in its own state first (SQLite: its file deleted or replaced): its calls may still
            // succeed, and its description says more than the writer's failures it causes.
            if (store is IHitStoreHealth health)
            {
                string? problem;
                try
                {
                    problem = await health.GetProblemAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return HealthCheckResult.Unhealthy("The beacon store cannot check its own state.", ex, data);
                }

                if (problem is not null)
                {
                    data["store_problem"] = problem;
                    return HealthCheckResult.Unhealthy($"{problem} {queue.Count} hits are queued.", writer.LastFailure, data);
                }
            }

            if (writer.ConsecutiveFailures > 0)
            {
                if (writer.FailingSince is { } since)
                {
                    data["failing_since"] = since;
                }

                return HealthCheckResult.Unhealthy(
                    $"Writing to the beacon store has failed {writer.ConsecutiveFailures} times in a row since {writer.FailingSince:O}; {queue.Count} hits are queued and will be written when it is back.",
                    writer.LastFailure,
                    data);
            }

            try
            {
                var now = time.GetUtcNow();
                await store.QueryAsync(new Querying.HitQuery { SiteId = "health-check", From = now.AddSeconds(-1), To = now, Metrics = [Querying.HitMetric.Pageviews] }, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy("The beacon store cannot be queried.", ex, data);
            }

            return queue.Overflowing || queue.Count > queue.Capacity * 0.8 || queue.Bytes > queue.MaxBytes * 0.8
                ? HealthCheckResult.Degraded($"The beacon write queue is nearly full: {queue.Count} of {queue.Capacity} hits, about {queue.Bytes} of {queue.MaxBytes} bytes.", data: data)
                : HealthCheckResult.Healthy("The beacon store is reachable and the write queue is flowing.", data);
        }
    }
}

namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Adds the beacon's health check.</summary>
    public static class BeaconHealthChecksBuilderExtensions
    {
        /// <summary>
        /// Adds a check named <paramref name="name"/> (default <c>francisbeacon</c>): store reachable, writer not
        /// failing, write queue not nearly full. Map it with <c>app.MapHealthChecks("/healthz")</c>.
        /// </summary>
        public static IHealthChecksBuilder AddBeacon(this IHealthChecksBuilder builder, string name = "francisbeacon")
        {
            ArgumentNullException.ThrowIfNull(builder);
            return builder.AddCheck<BeaconHealthCheck>(name, tags: ["francisbeacon", "ready"]);
        }
    }
}
