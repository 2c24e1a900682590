using System.Globalization;

namespace FrancisBeacon.Querying;

/// <summary>
/// A date range as a person names it — <c>day</c>, <c>7d</c>, <c>30d</c>, or two ISO dates — resolved to a half-open
/// UTC instant range in a site's time zone.
/// </summary>
/// <remarks>
/// <c>day</c> is today (or the given date); <c>7d</c> and <c>30d</c> are the last 7 or 30 calendar days
/// <em>including today</em>, so a hit that just arrived is always in them; two dates are inclusive calendar days.
/// </remarks>
public sealed record QueryDateRange
{
    private QueryDateRange(string period, DateOnly? first, DateOnly? last)
    {
        Period = period;
        FirstDay = first;
        LastDay = last;
    }

    /// <summary>The period keyword: <c>day</c>, <c>7d</c>, <c>28d</c>, <c>30d</c>, <c>month</c>, <c>6mo</c>, <c>12mo</c>, <c>year</c>, <c>all</c> or <c>custom</c>.</summary>
    public string Period { get; }

    /// <summary>The first day, for <c>custom</c> (and for <c>day</c> when a date was given).</summary>
    public DateOnly? FirstDay { get; }

    /// <summary>The last day, inclusive, for <c>custom</c>.</summary>
    public DateOnly? LastDay { get; }

    /// <summary>Today, in the site's zone.</summary>
    public static QueryDateRange Today { get; } = new("day", null, null);

    /// <summary>The last 7 days including today.</summary>
    public static QueryDateRange Last7Days { get; } = new("7d", null, null);

    /// <summary>The last 30 days including today.</summary>
    public static QueryDateRange Last30Days { get; } = new("30d", null, null);

    /// <summary>The last 28 days including today.</summary>
    public static QueryDateRange Last28Days { get; } = new("28d", null, null);

    /// <summary>The last 91 days including today (Plausible's <c>91d</c>).</summary>
    public static QueryDateRange Last91Days { get; } = new("91d", null, null);

    /// <summary>The current calendar month, from its first day to today.</summary>
    public static QueryDateRange ThisMonth { get; } = new("month", null, null);

    /// <summary>The current month and the five before it, to today.</summary>
    public static QueryDateRange Last6Months { get; } = new("6mo", null, null);

    /// <summary>The current month and the eleven before it, to today.</summary>
    public static QueryDateRange Last12Months { get; } = new("12mo", null, null);

    /// <summary>The current calendar year, to today.</summary>
    public static QueryDateRange ThisYear { get; } = new("year", null, null);

    /// <summary>Everything, from 2000-01-01 to today.</summary>
    public static QueryDateRange AllTime { get; } = new("all", null, null);

    /// <summary>Finds a named period (<c>day</c>, <c>7d</c>, <c>28d</c>, <c>30d</c>, <c>91d</c>, <c>month</c>, <c>6mo</c>, <c>12mo</c>, <c>year</c>, <c>all</c>).</summary>
    public static QueryDateRange? Named(string? period) => period switch
    {
        "day" => Today,
        "7d" => Last7Days,
        "28d" => Last28Days,
        "30d" => Last30Days,
        "91d" => Last91Days,
        "month" => ThisMonth,
        "6mo" => Last6Months,
        "12mo" => Last12Months,
        "year" => ThisYear,
        "all" => AllTime,
        _ => null,
    };

    /// <summary>The calendar days from <paramref name="first"/> to <paramref name="last"/>, both inclusive.</summary>
    public static QueryDateRange Custom(DateOnly first, DateOnly last)
    {
        CheckBounds(first);
        CheckBounds(last);
        if (last < first)
        {
            throw new HitQueryException("date_range", "The last day is before the first day.");
        }

        return new("custom", first, last);
    }

    /// <summary>One calendar day.</summary>
    public static QueryDateRange SingleDay(DateOnly day)
    {
        CheckBounds(day);
        return new("day", day, day);
    }

    /// <summary>
    /// Days outside 1900-01-01 to 9998-12-31 are refused: ranges are resolved to the instant after their last day and
    /// compared with the year before, which must stay inside <see cref="DateTimeOffset"/>.
    /// </summary>
    private static void CheckBounds(DateOnly day)
    {
        if (day < MinDay || day > MaxDay)
        {
            throw new HitQueryException("date_range", "Dates must be between 1900-01-01 and 9998-12-31.");
        }
    }

    private static readonly DateOnly MinDay = new(1900, 1, 1);

    private static readonly DateOnly MaxDay = new(9998, 12, 31);

    /// <summary>
    /// Parses the API's <c>period</c> and <c>date</c> parameters: <c>period=day|7d|30d|…</c> (with an optional
    /// <c>date=YYYY-MM-DD</c> for <c>day</c>), or <c>period=custom&amp;date=YYYY-MM-DD,YYYY-MM-DD</c>. A missing
    /// period with two dates means <c>custom</c>, with one date <c>day</c>, and alone <c>30d</c>. A date beside a
    /// period that takes none (<c>7d</c>, <c>month</c>, …: they end today) is refused rather than ignored.
    /// </summary>
    /// <exception cref="HitQueryException">The period or the dates are not valid.</exception>
    public static QueryDateRange Parse(string? period, string? date)
    {
        period = string.IsNullOrWhiteSpace(period) ? null : period.Trim();
        date = string.IsNullOrWhiteSpace(date) ? null : date.Trim();
        if (period is null)
        {
            period = date is null ? "30d" : date.Contains(',', StringComparison.Ordinal) ? "custom" : "day";
        }
        else if (date is not null && period is not ("day" or "custom") && Named(period) is not null)
        {
            throw new HitQueryException("date", $"date applies only to period=day (one date) and period=custom (two dates); period={period} always ends today.");
        }

        switch (period)
        {
            case "day":
                return date is null ? Today : SingleDay(ParseDay(date));
            case "7d":
                return Last7Days;
            case "30d":
                return Last30Days;
            case "custom":
                if (date is null)
                {
                    throw new HitQueryException("date", "A custom period needs date=YYYY-MM-DD,YYYY-MM-DD.");
                }

                var parts = date.Split(',');
                if (parts.Length != 2)
                {
                    throw new HitQueryException("date", "A custom period needs two dates separated by a comma.");
                }

                return Custom(ParseDay(parts[0]), ParseDay(parts[1]));
            default:
                return Named(period) ?? throw new HitQueryException("period", "Unknown period; use day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all or custom.");
        }
    }

    /// <summary>The inclusive first and last local calendar day of this range, relative to <paramref name="now"/>.</summary>
    public (DateOnly First, DateOnly Last) Days(TimeZoneInfo timeZone, DateTimeOffset now)
    {
        var today = TimeZoneSegments.LocalDay(now, timeZone);
        return Period switch
        {
            "day" => (FirstDay ?? today, FirstDay ?? today),
            "7d" => (today.AddDays(-6), today),
            "28d" => (today.AddDays(-27), today),
            "30d" => (today.AddDays(-29), today),
            "91d" => (today.AddDays(-90), today),
            "month" => (new DateOnly(today.Year, today.Month, 1), today),
            "6mo" => (new DateOnly(today.Year, today.Month, 1).AddMonths(-5), today),
            "12mo" => (new DateOnly(today.Year, today.Month, 1).AddMonths(-11), today),
            "year" => (new DateOnly(today.Year, 1, 1), today),
            "all" => (new DateOnly(2000, 1, 1), today),
            _ => (FirstDay!.Value, LastDay!.Value),
        };
    }

    /// <summary>Resolves the range to a half-open UTC instant range <c>[From, To)</c> in <paramref name="timeZone"/>.</summary>
    public (DateTimeOffset From, DateTimeOffset To) Resolve(TimeZoneInfo timeZone, DateTimeOffset now)
    {
        var (first, last) = Days(timeZone, now);
        return (TimeZoneSegments.StartOfDay(first, timeZone), TimeZoneSegments.StartOfDay(last.AddDays(1), timeZone));
    }

    private static DateOnly ParseDay(string text)
    {
        if (!DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            throw new HitQueryException("date", $"'{Truncate(text)}' is not a date in the form YYYY-MM-DD.");
        }

        return day;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
