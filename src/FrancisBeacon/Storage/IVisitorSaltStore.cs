namespace FrancisBeacon.Storage;

/// <summary>
/// A capability of stores that keep the daily visitor-id salts, so that every app instance sharing the database
/// derives the same visitor id for the same person on the same day. Probe with <c>store is IVisitorSaltStore</c>;
/// without it each instance keeps its own salts in memory.
/// </summary>
/// <remarks>
/// A salt is 32 random bytes labelled with a calendar day. Salts must be deleted soon after their day ends
/// (FrancisBeacon deletes every salt older than yesterday in UTC, so none lives longer than about 62 hours), which
/// makes old visitor ids impossible to recompute.
/// </remarks>
public interface IVisitorSaltStore
{
    /// <summary>
    /// Returns the salt of <paramref name="day"/>, first storing <paramref name="candidate"/> if the day has none.
    /// When several instances race, exactly one candidate wins and all of them get it back.
    /// </summary>
    ValueTask<byte[]> GetOrAddSaltAsync(DateOnly day, byte[] candidate, CancellationToken cancellationToken);

    /// <summary>Deletes the salts of every day before <paramref name="day"/>; returns how many were deleted.</summary>
    ValueTask<int> DeleteSaltsBeforeAsync(DateOnly day, CancellationToken cancellationToken);
}
