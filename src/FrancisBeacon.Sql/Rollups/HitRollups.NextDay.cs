// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Which days a pass may leave alone: a day that is in the pass only as the day after a dirty day (its links point
/// into that day) needs no work when that day was brought up to date incrementally, since the incremental path applies
/// new hits only while the next day has no stored rows (HitRollups.Upkeep.cs), and otherwise changes nothing. On a live
/// site that is "tomorrow", which every pass used to rebuild (empty) and re-sum its month and blocks for.
/// </content>
public sealed partial class HitRollups
{
    private static bool SkipNextDay(long day, bool initial, HashSet<long> dirtyDays, HashSet<long> kept) =>
        !initial && !dirtyDays.Contains(day) && kept.Contains(day - 1);
}
