namespace FrancisBeacon.Querying;

/// <summary>A query that cannot be answered as asked. <see cref="Field"/> names the offending part.</summary>
public sealed class HitQueryException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HitQueryException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
        Reason = message;
    }

    /// <summary>Creates the exception with no field.</summary>
    public HitQueryException()
        : this("query", "The query is invalid.")
    {
    }

    /// <summary>Creates the exception with no field.</summary>
    public HitQueryException(string message)
        : this("query", message)
    {
    }

    /// <summary>Creates the exception with no field.</summary>
    public HitQueryException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = "query";
        Reason = message;
    }

    /// <summary>The part of the query that is wrong, in API spelling (<c>metrics</c>, <c>date_range</c>, ...).</summary>
    public string Field { get; }

    /// <summary>What is wrong with it.</summary>
    public string Reason { get; }
}
