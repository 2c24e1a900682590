// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>The dimensions kept in rollup tables, with the stable codes stored in their <c>dim</c> column.</summary>
internal static class RollupDimensions
{
    /// <summary>Event dimensions of <c>rollup_events</c>; code = index + 1 (0 is the site total).</summary>
    public static readonly HitDimension[] Event = [HitDimension.Page, HitDimension.EventName, HitDimension.Hostname];

    /// <summary>Visit dimensions of <c>rollup_visits</c>; code = index + 1 (0 is the site total).</summary>
    public static readonly HitDimension[] Visit =
    [
        HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Channel, HitDimension.Referrer,
        HitDimension.UtmSource, HitDimension.UtmMedium, HitDimension.UtmCampaign, HitDimension.UtmTerm, HitDimension.UtmContent,
        HitDimension.Browser, HitDimension.BrowserVersion, HitDimension.OperatingSystem, HitDimension.OperatingSystemVersion,
        HitDimension.Device, HitDimension.Country, HitDimension.Region, HitDimension.City, HitDimension.Screen, HitDimension.Language,
    ];

    /// <summary>Visit attribute dimensions read from a session's first hit (all but entry and exit page).</summary>
    public static readonly HitDimension[] Attributes = Visit[2..];

    /// <summary>
    /// Segment dimensions of the segment rollups (<c>rollup_segment_events</c>, <c>rollup_segment_visits</c>): a visit
    /// filter <c>is</c> one value of one of these reads the counts pre-aggregated per value; code (<c>fdim</c>) = index + 1.
    /// </summary>
    public static readonly HitDimension[] Segment =
    [
        HitDimension.Source, HitDimension.Channel, HitDimension.Country, HitDimension.Device, HitDimension.Browser, HitDimension.OperatingSystem,
        HitDimension.UtmSource, HitDimension.UtmMedium, HitDimension.UtmCampaign,
    ];

    public static int EventCode(HitDimension dimension) => Array.IndexOf(Event, dimension) + 1;

    public static int VisitCode(HitDimension dimension) => Array.IndexOf(Visit, dimension) + 1;

    public static int SegmentCode(HitDimension dimension) => Array.IndexOf(Segment, dimension) + 1;

    /// <summary>
    /// Whether the segment rollups keep value <paramref name="value"/> of segment dimension <paramref name="code"/>: all
    /// but "(not set)" of the UTM dimensions, a segment of nearly every session (a fifth of the segment rows for a
    /// filter nobody clicks; it keeps the session route).
    /// </summary>
    public static bool KeepsSegment(int code, string value) =>
        !(Segment[code - 1].Name.StartsWith("visit:utm_", StringComparison.Ordinal) && string.Equals(value, HitDimension.NotSet, StringComparison.Ordinal));
}
