// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.AspNetCore;

/// <summary>Options of the opt-in erasure endpoint (<c>MapBeaconErasureApi</c>).</summary>
public sealed class BeaconErasureOptions
{
    /// <summary>
    /// How long a <c>DELETE {api}/hits</c> request waits for its erasure before it answers <c>202 Accepted</c> with
    /// <c>Retry-After</c> (the erasure goes on without the request; sending the same request again joins it, and once it
    /// has ended answers <c>200</c> with its total). Keep it below the timeout of any reverse proxy or load balancer in
    /// front of the app (nginx's <c>proxy_read_timeout</c> is 60 s by default). Default: 20 seconds.
    /// <see cref="TimeSpan.Zero"/> answers <c>202</c> at once unless the erasure has already ended. 0 to 1 hour.
    /// </summary>
    public TimeSpan AnswerWithin { get; set; } = TimeSpan.FromSeconds(20);
}
