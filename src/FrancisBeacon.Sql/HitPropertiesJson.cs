using System.Text.Json;

namespace FrancisBeacon.Sql;

/// <summary>Stores <see cref="Hit.Properties"/> as a JSON object (or NULL when there are none).</summary>
public static class HitPropertiesJson
{
    /// <summary>The JSON text of the properties, or <see langword="null"/> when there are none.</summary>
    public static string? Serialize(IReadOnlyDictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        if (properties.Count == 0)
        {
            return null;
        }

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in properties)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads properties back; <see langword="null"/> or empty text gives <see cref="Hit.EmptyProperties"/>.</summary>
    public static IReadOnlyDictionary<string, string> Deserialize(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return Hit.EmptyProperties;
        }

        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            result[property.Name] = property.Value.GetString() ?? string.Empty;
        }

        return result.AsReadOnly();
    }
}
