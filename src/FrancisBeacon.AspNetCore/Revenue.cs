using System.Globalization;
using System.Text.Json;

namespace FrancisBeacon.AspNetCore;

/// <summary>Checks revenue (amount and ISO 4217 currency) and reads it from the JSON that trackers send.</summary>
internal static class Revenue
{
    /// <summary>The largest amount a store keeps exactly: 12 digits before the point and 6 after.</summary>
    public const decimal MaxAmount = 999_999_999_999.999999m;

    /// <summary>Whether <paramref name="currency"/> looks like an ISO 4217 code: three upper-case ASCII letters.</summary>
    public static bool IsCurrencyCode(string? currency) =>
        currency is { Length: 3 } && char.IsAsciiLetterUpper(currency[0]) && char.IsAsciiLetterUpper(currency[1]) && char.IsAsciiLetterUpper(currency[2]);

    /// <summary>Both or neither; a valid currency; an amount a store can keep (rounded to 6 decimals).</summary>
    public static bool TryNormalise(decimal? amount, string? currency, out decimal? normalised, out string error)
    {
        normalised = null;
        error = string.Empty;
        if (amount is null && currency is null)
        {
            return true;
        }

        if (amount is null || currency is null)
        {
            error = "Revenue needs both an amount and a currency.";
            return false;
        }

        if (!IsCurrencyCode(currency))
        {
            error = "The revenue currency must be an ISO 4217 code of three upper-case letters, such as EUR.";
            return false;
        }

        if (Math.Abs(amount.Value) > MaxAmount)
        {
            error = "The revenue amount is too large (at most 12 digits before the decimal point).";
            return false;
        }

        normalised = Math.Round(amount.Value, 6, MidpointRounding.ToEven);
        return true;
    }

    /// <summary>
    /// Reads <c>{ "amount": "49.90" | 49.9, "currency": "EUR" }</c> (or the same object encoded as a JSON string);
    /// <see langword="null"/> stays absent. Throws <see cref="FormatException"/> with a client-facing message.
    /// </summary>
    public static (decimal? Amount, string? Currency) FromJson(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return (null, null);
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (text.Length == 0)
            {
                return (null, null);
            }

            using var inner = ParseEmbedded(text, "revenue");
            return FromJson(inner.RootElement.Clone());
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("revenue must be an object with amount and currency.");
        }

        decimal? amount = null;
        string? currency = null;
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "amount":
                    amount = property.Value.ValueKind switch
                    {
                        JsonValueKind.Number when property.Value.TryGetDecimal(out var d) => d,
                        JsonValueKind.String when decimal.TryParse(property.Value.GetString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) => d,
                        _ => throw new FormatException("revenue.amount must be a decimal number or a string holding one."),
                    };
                    break;
                case "currency":
                    currency = property.Value.ValueKind == JsonValueKind.String
                        ? property.Value.GetString()
                        : throw new FormatException("revenue.currency must be a string.");
                    break;
                default:
                    break;
            }
        }

        return (amount, currency);
    }

    /// <summary>Parses JSON that a tracker sent as a string value (Plausible's <c>p</c> and <c>$</c> may be either).</summary>
    public static JsonDocument ParseEmbedded(string text, string field)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException)
        {
            throw new FormatException($"{field} is a string but not valid JSON.");
        }
    }
}
