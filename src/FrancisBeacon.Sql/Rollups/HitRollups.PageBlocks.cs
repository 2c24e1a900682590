// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Sql.Rollups;

/// <content>The page blocks' and the page-row backfill's knobs and counters (SessionRollups.PageBlocks.cs, SessionRollups.PageBackfill.cs), for tests and tools.</content>
public sealed partial class HitRollups
{
    /// <summary>At most this many old days get page rows per pass of the rollup worker. Default: 64.</summary>
    internal int PageBackfillDaysPerPass
    {
        get => _sessions.PageBackfillDaysPerPass;
        set => _sessions.PageBackfillDaysPerPass = value;
    }

    /// <summary>Days the page-row backfill has done since this instance was created.</summary>
    internal int PageDaysBackfilled => _sessions.PageDaysBackfilled;

    /// <summary>Page blocks built since this instance was created.</summary>
    internal int PageBlocksBuilt => _sessions.PageBlocksBuilt;
}
