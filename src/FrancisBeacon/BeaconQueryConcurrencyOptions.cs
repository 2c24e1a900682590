// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon;

/// <summary>
/// How many query API requests (<c>stats</c>, <c>v2/query</c>, <c>realtime</c>, <c>export</c>, the dashboard's and
/// share links' too) run at once. A query over a long range with many filters can take seconds of CPU; without a bound a handful of them
/// at once take every core and every thread-pool thread, and the collection endpoints on the same process wait
/// seconds for an answer. Requests past <see cref="Limit"/> wait in order; past <see cref="QueueLimit"/> waiting, or
/// after <see cref="QueueTimeout"/>, they are answered <c>503</c> with <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// A request holds its slot only while the store answers its queries: not while its body arrives or its answer is
/// written, so a slow client holds none. An export takes a slot for each chunk of rows it reads (500), in turn with
/// the queries, and sends the chunk without it; only its first chunk can be refused (<c>503</c> before any row), a
/// later one waits at most <see cref="QueueTimeout"/> and then goes on without a slot rather than break the download.
/// The bound is per process; instances behind a load balancer each have their own.
/// </remarks>
public sealed class BeaconQueryConcurrencyOptions
{
    /// <summary>Half the processors, at least one: what <see cref="Limit"/> is unless set.</summary>
    public static int DefaultLimit => Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// How many query API requests run at once (0–1 024; 0 = no bound). Default: half the processors, at least one
    /// (<see cref="DefaultLimit"/>), so the other half is left for the collection endpoints and the hit writer.
    /// </summary>
    public int Limit { get; set; } = DefaultLimit;

    /// <summary>How many requests may wait for a slot (0–100 000); one more is answered <c>503</c> at once. Default: 100.</summary>
    public int QueueLimit { get; set; } = 100;

    /// <summary>
    /// How long a request waits for a slot before it is answered <c>503</c> (1 ms to 10 minutes). Default: 10 seconds:
    /// an interactive caller learns that the server is busy (and the dashboard asks again after <c>Retry-After</c>)
    /// rather than waiting on.
    /// </summary>
    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How many exports (<c>GET {api}/export</c>) run at once (0–1 024; 0 = no bound); one more is answered <c>503</c>
    /// with <c>Retry-After</c> at once. Default: 4. An export holds a database connection (and its reader) from its
    /// first row to its last, however slowly the client reads: without a bound, a hundred slow downloads held every
    /// connection of PostgreSQL's pool (and of a server with the default <c>max_connections</c>).
    /// </summary>
    public int Exports { get; set; } = 4;
}
