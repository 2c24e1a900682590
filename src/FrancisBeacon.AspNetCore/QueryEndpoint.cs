using System.Globalization;
using System.Text.Json;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// <c>POST {api}/v2/query</c>: the JSON body of Plausible's Stats API v2 (<c>site_id</c>, <c>metrics</c>,
/// <c>date_range</c>, <c>dimensions</c>, <c>order_by</c>, <c>pagination</c>), answered in its shape: <c>results</c>
/// of <c>{dimensions, metrics}</c>, <c>meta</c> and the resolved <c>query</c>.
/// </summary>
internal static class QueryEndpoint
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int DefaultLimit = 10_000;
    private const int MaxRangeDays = 36_525;

    /// <summary>
    /// The most filter values a request may send in all conditions together: each is work per hit (a substring search,
    /// a comparison), so 9 000 <c>contains</c> values cost 8 s of CPU on 16 000 hits in SQLite and PostgreSQL's 30 s
    /// command timeout. Counted as sent, before country names become codes.
    /// </summary>
    internal const int MaxFilterValues = 300;

    /// <summary>The most <c>matches</c> / <c>matches_not</c> patterns a request may send in all (1 000 cost 11 s of CPU on 16 000 hits in SQLite).</summary>
    internal const int MaxFilterPatterns = 20;

    public static async Task HandleAsync(HttpContext context, SiteResolver sites, IHitStore store, TimeProvider time, QueryConcurrencyGate gate)
    {
        var ct = context.RequestAborted;
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            var chunk = new byte[8192];
            int read;
            try
            {
                while ((read = await context.Request.Body.ReadAsync(chunk, ct)) > 0)
                {
                    buffer.Write(chunk, 0, read);
                    if (buffer.Length > MaxBodyBytes)
                    {
                        await ErrorAsync(context, 413, "body", $"The query is larger than {MaxBodyBytes} bytes.");
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is BadHttpRequestException or IOException && !ct.IsCancellationRequested)
            {
                // Kestrel's framing errors (bad chunked framing, a body shorter than its Content-Length): unhandled, 500.
                await ErrorAsync(context, ex is BadHttpRequestException bad ? bad.StatusCode : 400, "body", "The request body could not be read.");
                return;
            }

            body = buffer.ToArray();
        }

        ParsedQuery parsed;
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
            parsed = Parse(document.RootElement, sites.For(context.User), time.GetUtcNow());
        }
        catch (JsonException)
        {
            await ErrorAsync(context, 400, "body", "The body is not valid JSON.");
            return;
        }
        catch (HitQueryException ex)
        {
            await ErrorAsync(context, SiteResolver.StatusCodeFor(ex), ex.Field, ex.Reason);
            return;
        }
        catch (InvalidOperationException)
        {
            // JsonElement's getters throw this for a string that is not valid UTF-16 (a lone \ud800 escape).
            await ErrorAsync(context, 400, "body", "The query holds a string that is not valid Unicode.");
            return;
        }

        // The store's work only: the body is read and the query checked before, the answer written after.
        var (slot, refused) = await gate.EnterAsync(ct);
        if (refused is not null)
        {
            await QueryConcurrencyGate.Refusal(context).ExecuteAsync(context);
            return;
        }

        AggregateResult result;
        AggregateResult? previousResult = null;
        HitQueryException? invalid = null;
        var timeIndex = parsed.Query.Dimensions.ToList().FindIndex(x => x.IsTime);
        TimeBuckets? currentBuckets = null, previousBuckets = null;
        using (slot)
        {
            try
            {
                result = WithCountryNames(await store.QueryAsync(parsed.Query, ct), parsed);
                if (parsed.Previous is { } previous)
                {
                    previousResult = WithCountryNames(await store.QueryAsync(previous, ct), parsed);
                }
            }
            catch (HitQueryException ex)
            {
                result = AggregateResult.Empty;
                invalid = ex;
            }

            // The time dimension's buckets (time_labels, comparison pairing: up to 100 000 each) under the slot like the
            // store's work, not before it: computed in Parse, every request waiting in the queue, and every one refused
            // from it, paid for them outside QueryConcurrency (110 at once held 1.5 GB and stalled the pixel for seconds).
            if (invalid is null && timeIndex >= 0 && (parsed.TimeLabels || parsed.Previous is not null))
            {
                currentBuckets = TimeBuckets.Compute(parsed.Query, parsed.Query.Dimensions[timeIndex]);
                previousBuckets = parsed.Previous is { } previous ? TimeBuckets.Compute(previous, parsed.Query.Dimensions[timeIndex]) : null;
            }
        }

        if (invalid is not null)
        {
            await ErrorAsync(context, 400, invalid.Field, invalid.Reason);
            return;
        }

        Dictionary<string, AggregateRow>? previousRows = null;
        if (parsed.Previous is not null)
        {
            previousRows = new Dictionary<string, AggregateRow>(previousResult!.Rows.Count, StringComparer.Ordinal);
            foreach (var previousRow in previousResult.Rows)
            {
                // Keys are unique for distinct rows; TryAdd keeps the first should a store (or the country-name
                // mapping) ever answer one group twice, rather than failing the request.
                previousRows.TryAdd(ComparisonKey(previousRow.Dimensions, timeIndex, previousBuckets), previousRow);
            }
        }

        IEnumerable<AggregateRow> rows = result.Rows;
        var totalRowCount = result.Rows.Count;
        if (parsed.OrderBy.Count > 0)
        {
            rows = Sort(rows, parsed);
        }

        rows = rows.Skip(parsed.Offset).Take(parsed.Limit);

        if (WantsCsv(context.Request))
        {
            await WriteCsvAsync(context, parsed, rows, ct);
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json; charset=utf-8";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteStartArray("results");
        foreach (var row in rows)
        {
            writer.WriteStartObject();
            writer.WriteStartArray("dimensions");
            foreach (var value in row.Dimensions)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
            writer.WriteStartArray("metrics");
            foreach (var value in row.Metrics)
            {
                WriteNumber(writer, value);
            }

            writer.WriteEndArray();
            if (previousRows is not null)
            {
                var metrics = parsed.Query.Metrics;
                var before = previousRows.GetValueOrDefault(ComparisonKey(row.Dimensions, timeIndex, currentBuckets));
                writer.WriteStartObject("comparison");
                writer.WriteStartArray("dimensions");
                for (var i = 0; i < row.Dimensions.Count; i++)
                {
                    var position = i == timeIndex ? currentBuckets!.IndexOf(row.Dimensions[i]) : -1;
                    writer.WriteStringValue(i != timeIndex ? row.Dimensions[i]
                        : position >= 0 && position < previousBuckets!.Count ? previousBuckets.Label(position) : before?.Dimensions[i] ?? string.Empty);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("metrics");
                for (var i = 0; i < metrics.Count; i++)
                {
                    WriteNumber(writer, before?.Metrics[i] ?? 0);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("change");
                for (var i = 0; i < metrics.Count; i++)
                {
                    if (Change(metrics[i], row.Metrics[i], before?.Metrics[i] ?? 0) is { } change)
                    {
                        WriteNumber(writer, change);
                    }
                    else
                    {
                        writer.WriteNullValue();
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            await FlushIfFullAsync(writer, ct);
        }

        writer.WriteEndArray();
        writer.WriteStartObject("meta");
        if (parsed.TotalRows)
        {
            writer.WriteNumber("total_rows", totalRowCount);
        }

        if (parsed.TimeLabels)
        {
            writer.WriteStartArray("time_labels");
            var label = new char[TimeBuckets.MaxLabelLength];
            for (var i = 0; i < (currentBuckets?.Count ?? 0); i++)
            {
                writer.WriteStringValue(label.AsSpan(0, currentBuckets!.FormatLabel(i, label)));
                await FlushIfFullAsync(writer, ct);
            }

            writer.WriteEndArray();
        }

        if (parsed.Previous is { } compared)
        {
            writer.WriteStartArray("comparison_date_range");
            writer.WriteStringValue(TimeZoneInfo.ConvertTime(compared.From, compared.TimeZone).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
            writer.WriteStringValue(TimeZoneInfo.ConvertTime(compared.To.AddTicks(-TimeSpan.TicksPerSecond), compared.TimeZone).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.WriteStartObject("query");
        writer.WriteString("site_id", parsed.Query.SiteId);
        writer.WriteStartArray("metrics");
        foreach (var metric in parsed.Query.Metrics)
        {
            writer.WriteStringValue(metric.ToApiName());
        }

        writer.WriteEndArray();
        writer.WriteStartArray("date_range");
        writer.WriteStringValue(TimeZoneInfo.ConvertTime(parsed.Query.From, parsed.Query.TimeZone).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
        writer.WriteStringValue(TimeZoneInfo.ConvertTime(parsed.Query.To.AddTicks(-TimeSpan.TicksPerSecond), parsed.Query.TimeZone).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture));
        writer.WriteEndArray();
        writer.WriteStartArray("dimensions");
        foreach (var name in parsed.DimensionNames)
        {
            writer.WriteStringValue(name);
        }

        writer.WriteEndArray();
        writer.WritePropertyName("filters");
        if (parsed.Filters is { } rawFilters)
        {
            rawFilters.WriteTo(writer);
        }
        else
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
        }
        writer.WriteString("time_zone", parsed.Query.TimeZone.Id);
        writer.WriteStartObject("pagination");
        writer.WriteNumber("limit", parsed.Limit);
        writer.WriteNumber("offset", parsed.Offset);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        await writer.FlushAsync(ct);
    }

    internal static ParsedQuery Parse(JsonElement root, SiteResolver sites, DateTimeOffset now)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new HitQueryException("body", "The query must be a JSON object.");
        }

        string? siteId = null;
        var metrics = new List<HitMetric>();
        var dimensions = new List<HitDimension>();
        var apiNames = new List<string?>();
        var orderBy = new List<(string Name, bool Descending)>();
        JsonElement? dateRange = null;
        HitFilter? filter = null;
        var timeLabels = false;
        var totalRows = false;
        string? comparison = null;
        var limit = DefaultLimit;
        var offset = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                // System.Text.Json keeps every copy of a key; which one a client meant is a guess, so none is taken.
                throw new HitQueryException(property.Name, $"The field {property.Name} appears more than once.");
            }

            switch (property.Name)
            {
                case "site_id":
                    siteId = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : throw new HitQueryException("site_id", "site_id must be a string.");
                    break;
                case "metrics":
                    foreach (var item in Array(property.Value, "metrics"))
                    {
                        metrics.Add(item.ValueKind == JsonValueKind.String && HitMetricNames.TryParse(item.GetString(), out var metric)
                            ? metric
                            : throw new HitQueryException("metrics", $"Unknown metric {Show(item)}; known: {string.Join(", ", Enum.GetValues<HitMetric>().Select(m => m.ToApiName()))}."));
                    }

                    break;
                case "dimensions":
                    foreach (var item in Array(property.Value, "dimensions"))
                    {
                        var name = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
                        apiNames.Add(name);
                        dimensions.Add(name == "time" ? HitDimension.Day // resolved against the range below
                            : LocationNames.Dimension(name) is { } located ? located
                            : HitDimension.TryParse(name, out var dimension) ? dimension
                            : throw new HitQueryException("dimensions", UnsupportedDimension(name) ?? $"Unknown or unsupported dimension {Show(item)}."));
                    }

                    break;
                case "date_range":
                    dateRange = property.Value.Clone();
                    break;
                case "filters":
                    var budget = new FilterBudget();
                    var filters = Array(property.Value, "filters").Select(f => ParseFilter(f, 0, budget)).ToList();
                    if (budget.StoreConditions > HitQuery.MaxFilterConditions && budget.StoreConditions > budget.Conditions)
                    {
                        // HitQuery.Validate refuses it too, but would name a number the client never sent.
                        throw new HitQueryException(
                            "filters",
                            $"A query's filters hold at most {HitQuery.MaxFilterConditions} conditions in all, and a visit:country_name condition counts as the conditions on country codes it stands for (up to {LocationNames.MaxCountryConditions} each); this one holds {budget.Conditions} as sent, {budget.StoreConditions} counted that way.");
                    }

                    filter = filters.Count switch
                    {
                        0 => null,
                        1 => filters[0],
                        _ => new HitFilterAnd(filters),
                    };
                    break;
                case "order_by":
                    foreach (var item in Array(property.Value, "order_by"))
                    {
                        if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || item[0].ValueKind != JsonValueKind.String ||
                            item[1].ValueKind != JsonValueKind.String || item[1].GetString() is not ("asc" or "desc"))
                        {
                            throw new HitQueryException("order_by", "order_by entries are [\"metric or dimension\", \"asc\" | \"desc\"].");
                        }

                        orderBy.Add((item[0].GetString()!, item[1].GetString() == "desc"));
                    }

                    break;
                case "pagination":
                    foreach (var option in Options(property.Value, "pagination"))
                    {
                        switch (option.Name)
                        {
                            case "limit" when option.Value.ValueKind != JsonValueKind.Number || !option.Value.TryGetInt32(out limit) || limit < 1 || limit > DefaultLimit:
                                throw new HitQueryException("pagination", $"pagination.limit must be 1 to {DefaultLimit}.");
                            case "offset" when option.Value.ValueKind != JsonValueKind.Number || !option.Value.TryGetInt32(out offset) || offset < 0:
                                throw new HitQueryException("pagination", $"pagination.offset must be 0 to {int.MaxValue}.");
                            case "limit" or "offset":
                                break;
                            default:
                                throw new HitQueryException("pagination", $"Unknown pagination option {option.Name}; pagination has limit and offset.");
                        }
                    }

                    break;
                case "include":
                    foreach (var option in Options(property.Value, "include"))
                    {
                        switch (option.Name)
                        {
                            case "time_labels":
                                timeLabels = Flag(option, "include.time_labels");
                                break;
                            case "comparisons":
                                foreach (var setting in Options(option.Value, "include"))
                                {
                                    // Plausible's match_day_of_week: false is what this API does (the other period is the same
                                    // length just before, or a year earlier); true would shift it to the same weekdays, which it
                                    // does not do, so true is refused rather than silently answered differently.
                                    if (setting.Name == "match_day_of_week")
                                    {
                                        if (Flag(setting, "include.comparisons.match_day_of_week"))
                                        {
                                            throw new HitQueryException("include", "include.comparisons.match_day_of_week: true is not supported (the other period is not shifted to the same weekdays); send false or leave it out.");
                                        }

                                        continue;
                                    }

                                    comparison = setting.Name != "mode"
                                        ? throw new HitQueryException("include", $"Unknown include.comparisons option {setting.Name}; the options are mode and match_day_of_week (false).")
                                        : setting.Value.ValueKind == JsonValueKind.String && setting.Value.GetString() is "previous_period" or "year_over_year"
                                        ? setting.Value.GetString()
                                        : throw new HitQueryException("include", "include.comparisons.mode is previous_period or year_over_year.");
                                }

                                if (comparison is null)
                                {
                                    throw new HitQueryException("include", "include.comparisons.mode is previous_period or year_over_year.");
                                }

                                break;
                            case "total_rows":
                                totalRows = Flag(option, "include.total_rows");
                                break;
                            case "imports":
                                // Accepted for Plausible compatibility: there is no imported data to include.
                                Flag(option, "include.imports");
                                break;
                            default:
                                throw new HitQueryException("include", $"Unknown include option {option.Name}.");
                        }
                    }

                    break;
                default:
                    throw new HitQueryException(property.Name, $"Unknown field {property.Name}.");
            }
        }

        if (metrics.Count == 0)
        {
            throw new HitQueryException("metrics", "At least one metric is required.");
        }

        var site = sites.ForQuery(siteId);
        if (dateRange is not { } d)
        {
            throw new HitQueryException("date_range", "date_range is required.");
        }

        DateOnly first, last;
        DateTimeOffset from, to;
        if (DateTimes(d) is { } instants)
        {
            // Two ISO datetimes: both instants included, to the second.
            (from, to) = instants;
            (first, last) = (TimeZoneSegments.LocalDay(from, site.TimeZone), TimeZoneSegments.LocalDay(to.AddTicks(-1), site.TimeZone));
        }
        else
        {
            var range = ParseRange(d);
            (first, last) = range.Days(site.TimeZone, now);
            (from, to) = range.Resolve(site.TimeZone, now);
        }

        if (last.DayNumber - first.DayNumber > MaxRangeDays)
        {
            // Each time-zone offset change in the range becomes a bound SQL parameter; keep their number small.
            throw new HitQueryException("date_range", "The range is longer than 100 years.");
        }

        if (apiNames.Contains("time"))
        {
            // "time" picks its own granularity: hours for one day, days up to ~a month, months beyond (apiNames runs
            // beside dimensions, one entry per requested dimension).
            var granularity = last.DayNumber - first.DayNumber == 0 ? HitDimension.Hour : last.DayNumber - first.DayNumber <= 31 ? HitDimension.Day : HitDimension.Month;
            for (var i = 0; i < apiNames.Count; i++)
            {
                if (apiNames[i] == "time")
                {
                    dimensions[i] = granularity;
                }
            }
        }

        for (var i = 0; i < orderBy.Count; i++)
        {
            var name = orderBy[i].Name;
            if (!metrics.Any(m => m.ToApiName() == name) && !dimensions.Any(x => x.Name == name) && !apiNames.Contains(name))
            {
                throw new HitQueryException("order_by", $"order_by names {name}, which is neither a requested metric nor a dimension.");
            }

            if (!metrics.Any(m => m.ToApiName() == name) && apiNames.IndexOf(name) is >= 0 and var asked)
            {
                // Sort looks dimensions up by their resolved names, not by the name the body used: "time" becomes
                // "time:day", and a property key is cleaned ("event:props:\u0000" becomes "event:props:\uFFFD"). Looked up
                // by the body's name, Sort found no dimension once the answer had started (a cut JSON answer, a CSV 500).
                orderBy[i] = (dimensions[asked].Name, orderBy[i].Descending);
            }
        }

        var query = new HitQuery
        {
            SiteId = site.Id,
            From = from,
            To = to,
            TimeZone = site.TimeZone,
            Metrics = metrics,
            Dimensions = dimensions,
            Filter = filter,
            Goals = site.Settings.ResolveGoals(),
            RevenueCurrency = site.Settings.RevenueCurrency,
        };
        query.Validate();
        HitQuery? previous = null;
        if (comparison is not null)
        {
            if (DateTimes(d) is not null)
            {
                // Datetime ranges shift by their own length (previous period) or by a year.
                var length = to - from;
                previous = comparison == "year_over_year"
                    ? query with { From = from.AddYears(-1), To = to.AddYears(-1) }
                    : query with { From = from - length, To = from };
            }
            else
            {
                var (previousFirst, previousLast) = comparison == "year_over_year"
                    ? (first.AddYears(-1), last.AddYears(-1))
                    : (first.AddDays(-(last.DayNumber - first.DayNumber + 1)), first.AddDays(-1));
                var (previousFrom, previousTo) = QueryDateRange.Custom(previousFirst, previousLast).Resolve(site.TimeZone, now);
                previous = query with { From = previousFrom, To = previousTo };
            }
        }

        JsonElement? echoed = root.TryGetProperty("filters", out var rawFilters) ? rawFilters.Clone() : null;
        if (echoed is { } echo)
        {
            // The answer echoes the filters as sent: write them once here, where a string that is not valid UTF-16 is
            // still a 400 (InvalidOperationException, caught by HandleAsync), not an exception after the 200 started.
            using var probe = new Utf8JsonWriter(Stream.Null);
            echo.WriteTo(probe);
        }

        return new ParsedQuery(query, orderBy, limit, offset, echoed, timeLabels, previous)
        {
            TotalRows = totalRows,
            DimensionNames = [.. dimensions.Select((x, i) => apiNames[i] is LocationNames.CountryName or LocationNames.CityName ? apiNames[i]! : x.Name)],
        };
    }

    /// <summary>
    /// The key that pairs a row with the previous period's row: every dimension value length-prefixed (so no value,
    /// whatever characters it holds, can make two different rows one key), the time dimension replaced by its bucket's
    /// position in the range (the first day of this period meets the first day of the previous one). A bucket past the
    /// labels kept (<see cref="TimeBuckets.MaxCount"/>, 100 000) keeps its own label, marked so that it never equals a
    /// position: such rows are not paired, and never collide.
    /// </summary>
    private static string ComparisonKey(IReadOnlyList<string> dimensions, int timeIndex, TimeBuckets? buckets)
    {
        var key = new System.Text.StringBuilder();
        for (var i = 0; i < dimensions.Count; i++)
        {
            var value = dimensions[i];
            if (i == timeIndex && buckets is not null)
            {
                value = buckets.IndexOf(value) is var position and >= 0 ? "#" + position.ToString(CultureInfo.InvariantCulture) : "?" + value;
            }

            key.Append(value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value);
        }

        return key.ToString();
    }

    // Plausible's filter syntax: [operator, dimension, [values]] | ["and"|"or", [filters]] | ["not", filter].
    private static HitFilter ParseFilter(JsonElement value, int depth, FilterBudget budget)
    {
        if (depth > 8 || value.ValueKind != JsonValueKind.Array || value.GetArrayLength() < 2 || value[0].ValueKind != JsonValueKind.String)
        {
            throw new HitQueryException("filters", $"A filter is [operator, dimension, [values]], [\"and\"|\"or\", [filters]], [\"not\", filter] or [\"has_done\"|\"has_not_done\", filter]; got {Show(value)}.");
        }

        var op = value[0].GetString();
        switch (op)
        {
            case "and" or "or" or "not" when value.GetArrayLength() != 2:
                // A third element would never be read, only echoed in meta.query.filters; a lone surrogate escape there
                // threw while the answer was being written (a cut 200).
                throw new HitQueryException("filters", $"{op} takes one element: [\"{op}\", {(op == "not" ? "filter" : "[filters]")}].");
            case "and" or "or":
                var children = Array(value[1], "filters").Select(f => ParseFilter(f, depth + 1, budget)).ToList();
                return op == "and" ? new HitFilterAnd(children) : new HitFilterOr(children);
            case "not":
                return new HitFilterNot(ParseFilter(value[1], depth + 1, budget));
            case "has_done" or "has_not_done":
                if (value.GetArrayLength() != 2)
                {
                    throw new HitQueryException("filters", $"{op} takes one filter: [\"{op}\", [\"is\", \"event:goal\", [\"Signup\"]]].");
                }

                var inner = ParseFilter(value[1], depth + 1, budget);
                return op == "has_done" ? HitFilter.HasDone(inner) : HitFilter.HasNotDone(inner);
            case "is" or "is_not" or "contains" or "contains_not" or "matches" or "matches_not":
                if (value.GetArrayLength() is not (3 or 4) || value[1].ValueKind != JsonValueKind.String)
                {
                    throw new HitQueryException("filters", $"{op} takes a dimension, a list of values and optionally modifiers: [\"{op}\", \"event:page\", [\"/blog\"], {{\"case_sensitive\": false}}].");
                }

                var dimension = LocationNames.Dimension(value[1].GetString()) is { } located ? located
                    : HitDimension.TryParse(value[1].GetString(), out var d) ? d
                    : value[1].GetString() == "segment" ? throw new HitQueryException("filters", "Saved segments ([\"is\", \"segment\", [id]]) are not supported: there are no saved segments here; put the segment's filters in the query.")
                    : throw new HitQueryException("filters", UnsupportedDimension(value[1].GetString()) ?? $"Unknown filter dimension {Show(value[1])}.");
                var values = Array(value[2], "filters").Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new HitQueryException("filters", "Filter values are strings.")).ToList();
                budget.Values += values.Count;
                if (budget.Values > MaxFilterValues)
                {
                    throw new HitQueryException("filters", $"A query's filters hold at most {MaxFilterValues} values in all.");
                }

                if (op is "matches" or "matches_not" && (budget.Patterns += values.Count) > MaxFilterPatterns)
                {
                    throw new HitQueryException("filters", $"A query's filters hold at most {MaxFilterPatterns} matches / matches_not patterns in all.");
                }

                var ignoreCase = false;
                if (value.GetArrayLength() == 4)
                {
                    if (value[3].ValueKind != JsonValueKind.Object)
                    {
                        throw new HitQueryException("filters", "Filter modifiers are an object, e.g. {\"case_sensitive\": false}.");
                    }

                    foreach (var modifier in Options(value[3], "filters"))
                    {
                        ignoreCase = modifier.Name == "case_sensitive" && modifier.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
                            ? modifier.Value.ValueKind == JsonValueKind.False
                            : throw new HitQueryException("filters", $"Unknown filter modifier {modifier.Name}; the one modifier is case_sensitive (true or false).");
                    }
                }

                var kind = op switch
                {
                    "is" => HitFilterOperator.Is,
                    "is_not" => HitFilterOperator.IsNot,
                    "contains" => HitFilterOperator.Contains,
                    "contains_not" => HitFilterOperator.ContainsNot,
                    "matches" => HitFilterOperator.Matches,
                    _ => HitFilterOperator.MatchesNot,
                };
                var condition = new HitFilterCondition(kind, dimension, values) { IgnoreCase = ignoreCase };
                var filter = value[1].GetString() == LocationNames.CountryName ? LocationNames.CountryFilter(condition) : condition;
                budget.Conditions++;
                budget.StoreConditions += filter.Conditions().Count();
                return filter;
            default:
                throw new HitQueryException("filters", $"The filter operator {Show(value[0])} is not supported; use is, is_not, contains, contains_not, matches, matches_not, and, or, not, has_done, has_not_done.");
        }
    }

    // Plausible dimensions this version knows and deliberately does not offer (docs/query-api.md, "Differences from Plausible").
    private static string? UnsupportedDimension(string? name) => name switch
    {
        "visit:region_name" =>
            $"{name} is not supported: hits keep ISO 3166-2 region codes, so use visit:region (e.g. \"DE-BE\") instead.",
        "visit:country_code" => "Use visit:country (ISO 3166-1 alpha-2).",
        _ => null,
    };

    // ["2024-01-01T12:00:00+02:00", "2024-01-01T15:59:59+02:00"]: half-open [first, last + 1 s); null for anything else.
    private static (DateTimeOffset From, DateTimeOffset To)? DateTimes(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2 || value[0].ValueKind != JsonValueKind.String ||
            value[1].ValueKind != JsonValueKind.String || value[0].GetString()!.Length <= 10 || value[1].GetString()!.Length <= 10)
        {
            return null;
        }

        DateTimeOffset Instant(string text) =>
            DateTimeOffset.TryParseExact(text, ["yyyy-MM-ddTHH:mm:sszzz", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz", "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? t.ToUniversalTime()
                : throw new HitQueryException("date_range", $"'{(text.Length > 40 ? text[..40] : text)}' is not an ISO datetime with an offset, e.g. 2024-01-01T12:00:00+02:00.");

        var from = Instant(value[0].GetString()!);
        var last = Instant(value[1].GetString()!);
        if (from.Year is < 1900 or > 9998 || last.Year is < 1900 or > 9998)
        {
            // Same bounds as QueryDateRange.Custom: the instant after the range and time-zone shifts must not overflow.
            throw new HitQueryException("date_range", "Dates must be between 1900-01-01 and 9998-12-31.");
        }

        var to = new DateTimeOffset(last.UtcTicks - (last.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero).AddSeconds(1);
        return to <= from ? throw new HitQueryException("date_range", "The second datetime is before the first.") : (from, to);
    }

    private static QueryDateRange ParseRange(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return QueryDateRange.Named(value.GetString()) ?? throw new HitQueryException("date_range", $"Unknown date_range {Show(value)}; use day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all or two ISO dates.");
        }

        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 2 && value[0].ValueKind == JsonValueKind.String && value[1].ValueKind == JsonValueKind.String)
        {
            return QueryDateRange.Custom(Date(value[0].GetString()!), Date(value[1].GetString()!));
        }

        throw new HitQueryException("date_range", "date_range is a period name or two ISO dates [\"2026-01-01\", \"2026-01-31\"].");
    }

    // The whole string: a date beside a datetime (or a date followed by anything) is neither form, and reading its first
    // ten characters silently dropped the rest.
    private static DateOnly Date(string text) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new HitQueryException("date_range", $"'{(text.Length > 40 ? text[..40] : text)}' is not an ISO date; date_range is two ISO dates or two ISO datetimes with offsets.");

    private static IEnumerable<AggregateRow> Sort(IEnumerable<AggregateRow> rows, ParsedQuery parsed)
    {
        IOrderedEnumerable<AggregateRow>? ordered = null;
        foreach (var (name, descending) in parsed.OrderBy)
        {
            var metricIndex = parsed.Query.Metrics.ToList().FindIndex(m => m.ToApiName() == name);
            if (metricIndex >= 0)
            {
                ordered = ordered is null
                    ? descending ? rows.OrderByDescending(r => r.Metrics[metricIndex]) : rows.OrderBy(r => r.Metrics[metricIndex])
                    : descending ? ordered.ThenByDescending(r => r.Metrics[metricIndex]) : ordered.ThenBy(r => r.Metrics[metricIndex]);
                continue;
            }

            var dimensionIndex = parsed.DimensionNames.ToList().IndexOf(name) is >= 0 and var named ? named : parsed.Query.Dimensions.ToList().FindIndex(x => x.Name == name);
            ordered = ordered is null
                ? descending ? rows.OrderByDescending(r => r.Dimensions[dimensionIndex], Utf8OrdinalComparer.Instance) : rows.OrderBy(r => r.Dimensions[dimensionIndex], Utf8OrdinalComparer.Instance)
                : descending ? ordered.ThenByDescending(r => r.Dimensions[dimensionIndex], Utf8OrdinalComparer.Instance) : ordered.ThenBy(r => r.Dimensions[dimensionIndex], Utf8OrdinalComparer.Instance);
        }

        return ordered ?? rows;
    }

    /// <summary>
    /// Shows country names for the codes of visit:country_name dimensions, re-ordering the rows as the store would have
    /// ordered the names (time first: chronological; otherwise the first metric, largest first, then the values).
    /// </summary>
    private static AggregateResult WithCountryNames(AggregateResult result, ParsedQuery parsed)
    {
        if (!Enumerable.Range(0, parsed.Query.Dimensions.Count).Any(parsed.IsCountryName))
        {
            return result;
        }

        var rows = result.Rows.Select(r => new AggregateRow([.. r.Dimensions.Select((v, i) => parsed.IsCountryName(i) && v != HitDimension.NotSet ? LocationNames.NameOf(v) : v)], r.Metrics));
        var byValues = Comparer<AggregateRow>.Create((a, b) =>
        {
            for (var i = 0; i < a.Dimensions.Count; i++)
            {
                var c = Utf8OrdinalComparer.Instance.Compare(a.Dimensions[i], b.Dimensions[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return 0;
        });
        var ordered = parsed.Query.Dimensions[0].IsTime ? rows.Order(byValues) : rows.OrderByDescending(r => r.Metrics[0]).ThenBy(r => r, byValues);
        return new AggregateResult([.. ordered]);
    }

    // ?format=csv, or an Accept header naming text/csv.
    // CSV for ?format=csv, or when Accept ranks text/csv above zero and at least as high as application/json (a tie is
    // CSV, as before); "text/csv;q=0" (not acceptable) got CSV while a plain substring match decided.
    private static bool WantsCsv(HttpRequest request)
    {
        if (string.Equals(request.Query["format"].ToString(), "csv", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (request.Headers.Accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return false;
        }

        double csv = 0, json = 0;
        foreach (var media in accepted)
        {
            var quality = media.Quality ?? 1;
            if (media.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
            {
                csv = Math.Max(csv, quality);
            }
            else if (media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, quality);
            }
        }

        return csv > 0 && csv >= json;
    }

    /// <summary>
    /// RFC 4180 CSV: a header of dimension then metric names, one line per row; cells as the export writes them
    /// (<see cref="HitExportWriter.CsvCell"/>: a cell a spreadsheet would run as a formula gets a leading apostrophe).
    /// </summary>
    private static async Task WriteCsvAsync(HttpContext context, ParsedQuery parsed, IEnumerable<AggregateRow> rows, CancellationToken ct)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = "attachment; filename=\"query.csv\"";
        // As the export's CSV: its cells are stored text as sent ("<script>" in a page path), so no browser may sniff it
        // into something it renders, and no cache keeps a copy of an answer that took a key or a sign-in.
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "no-store";
        var text = new System.Text.StringBuilder();
        text.AppendJoin(',', parsed.DimensionNames.Select(HitExportWriter.CsvCell).Concat(parsed.Query.Metrics.Select(m => m.ToApiName()))).Append("\r\n");
        foreach (var row in rows)
        {
            text.AppendJoin(',', row.Dimensions.Select(HitExportWriter.CsvCell).Concat(row.Metrics.Select(m => m.ToString("R", CultureInfo.InvariantCulture)))).Append("\r\n");
        }

        await context.Response.WriteAsync(text.ToString(), ct);
    }

    /// <summary>
    /// The properties of a nested object (<c>pagination</c>, <c>include</c>, <c>include.comparisons</c>, a filter's
    /// modifiers), each name at most once: as at the top level, which of two copies a client meant would be a guess
    /// (until session 21 the last one silently won here, and a misspelt option was ignored). Handed out one at a time,
    /// so the caller refuses an unknown name before the rest is read: a 60 KB object of distinct names collected whole
    /// and compared pairwise cost 0.8 s of CPU.
    /// </summary>
    private static IEnumerable<JsonProperty> Options(JsonElement value, string field)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new HitQueryException(field, field switch
            {
                "pagination" => "pagination must be an object with limit and offset.",
                "filters" => "Filter modifiers are an object, e.g. {\"case_sensitive\": false}.",
                _ => "include and include.comparisons must be objects.",
            });
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var option in value.EnumerateObject())
        {
            if (!names.Add(option.Name))
            {
                throw new HitQueryException(field, $"The option {option.Name} appears more than once in {field}.");
            }

            yield return option;
        }
    }

    // include's switches: true or false, nothing else (a "yes" or a 1 was read as false).
    private static bool Flag(JsonProperty option, string name) =>
        option.Value.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? option.Value.ValueKind == JsonValueKind.True
            : throw new HitQueryException("include", $"{name} is true or false.");

    private static JsonElement.ArrayEnumerator Array(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw new HitQueryException(field, $"{field} must be an array.");

    private static string Show(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length > 60 ? text[..60] + "…" : text;
    }

    private static void WriteNumber(Utf8JsonWriter writer, double value)
    {
        if (value == Math.Floor(value) && Math.Abs(value) < 9e15)
        {
            writer.WriteNumberValue((long)value);
        }
        else
        {
            writer.WriteNumberValue(value);
        }
    }

    private static async Task ErrorAsync(HttpContext context, int status, string field, string message)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new StatsError(message, field), StatsJsonContext.Default.StatsError, cancellationToken: context.RequestAborted);
    }

    internal sealed record ParsedQuery(
        HitQuery Query,
        IReadOnlyList<(string Name, bool Descending)> OrderBy,
        int Limit,
        int Offset,
        JsonElement? Filters,
        bool TimeLabels,
        HitQuery? Previous)
    {
        /// <summary>Whether <c>include.total_rows</c> asks for <c>meta.total_rows</c>.</summary>
        public bool TotalRows { get; init; }

        /// <summary>The API name of each dimension as asked (visit:country_name for a visit:country shown by name).</summary>
        public IReadOnlyList<string> DimensionNames { get; init; } = [];

        /// <summary>Whether dimension <paramref name="index"/> shows country names for the store's codes.</summary>
        public bool IsCountryName(int index) => index < DimensionNames.Count && DimensionNames[index] == LocationNames.CountryName;
    }

    // The JSON is written to the response in pieces of about 32 KiB: a 100 000-bucket answer (2 MB) is not held whole.
    private static async ValueTask FlushIfFullAsync(Utf8JsonWriter writer, CancellationToken ct)
    {
        if (writer.BytesPending > 32 * 1024)
        {
            await writer.FlushAsync(ct);
        }
    }

    /// <summary>Plausible's change: percentage change, or for bounce_rate the difference in points; null when there is nothing to compare with.</summary>
    private static double? Change(HitMetric metric, double current, double previous) =>
        metric == HitMetric.BounceRate ? current - previous
        : previous == 0 ? (current == 0 ? 0 : null)
        : Math.Round((current - previous) / previous * 100, MidpointRounding.AwayFromZero);

    /// <summary>What a request's filters have used of <see cref="MaxFilterValues"/> and <see cref="MaxFilterPatterns"/>.</summary>
    private sealed class FilterBudget
    {
        public int Conditions { get; set; }

        // The conditions as the store counts them: a visit:country_name condition is several on visit:country.
        public int StoreConditions { get; set; }

        public int Values { get; set; }

        public int Patterns { get; set; }
    }
}
