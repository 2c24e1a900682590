// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using System.Text;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <summary>Describes how two answers differ, with both answers around the first difference.</summary>
internal static class ResultDiff
{
    private const int Before = 5;
    private const int After = 30;

    public static string Describe(string? context, AggregateResult expected, AggregateResult actual, string expectedTitle = "Expected")
    {
        var e = expected.Rows;
        var a = actual.Rows ?? [];
        var first = 0;
        while (first < e.Count && first < a.Count && e[first].Equals(a[first]))
        {
            first++;
        }

        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(context))
        {
            text.AppendLine(context);
        }

        text.Append(CultureInfo.InvariantCulture, $"The store's answer differs from the expected one at row {first}: expected {e.Count} rows, got {a.Count}.").AppendLine();
        Append(text, expectedTitle, e, first);
        Append(text, "Actual (the store's answer)", a, first);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string title, IReadOnlyList<AggregateRow> rows, int first)
    {
        var from = Math.Max(0, first - Before);
        var to = Math.Min(rows.Count, first + After);
        text.Append(CultureInfo.InvariantCulture, $"{title}, rows {from} to {to - 1} of {rows.Count}:").AppendLine();
        for (var i = from; i < to; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {(i == first ? ">" : " ")}{i,4}: {rows[i]}").AppendLine();
        }
    }
}
