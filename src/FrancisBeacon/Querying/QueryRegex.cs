using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace FrancisBeacon.Querying;

/// <summary>
/// A regular expression in the safe, portable subset that <c>matches</c> and <c>matches_not</c> filters accept. It is
/// checked once and translated to a .NET pattern (run with <see cref="RegexOptions.NonBacktracking"/>, linear in the
/// input) and to a POSIX advanced regular expression (PostgreSQL's <c>~</c>) that accept exactly the same strings.
/// </summary>
/// <remarks>
/// <para>The subset (all matching is case-sensitive, unanchored unless <c>^</c>/<c>$</c> are used, on Unicode code
/// points): literal characters; <c>.</c> (any character, newlines included); <c>^</c> and <c>$</c> (start and end of
/// the value); bracket classes <c>[abc]</c>, <c>[^a-z]</c> with ranges of characters up to U+FFFF outside the surrogate
/// block; <c>\d</c> <c>\w</c> <c>\s</c> (ASCII: <c>[0-9]</c>, <c>[A-Za-z0-9_]</c>, space/tab/newlines) and their
/// negations <c>\D</c> <c>\W</c> <c>\S</c> outside classes; escaped punctuation such as <c>\.</c>, <c>\/</c>,
/// <c>\(</c>; groups <c>(…)</c> and <c>(?:…)</c>; alternation <c>|</c>; quantifiers <c>*</c> <c>+</c> <c>?</c>
/// <c>{n}</c> <c>{n,}</c> <c>{n,m}</c> (bounds up to 100, not nested inside another counted repetition), optionally
/// lazy (<c>*?</c>).</para>
/// <para>Refused, with a <see cref="HitQueryException"/> naming <c>filters</c>: patterns over 256 characters,
/// backreferences, lookahead and lookbehind, atomic and named groups, inline options, possessive quantifiers, word
/// boundaries (<c>\b</c> means backspace in PostgreSQL), Unicode classes (<c>\p{…}</c>), POSIX classes
/// (<c>[[:alpha:]]</c>) and any other escape.</para>
/// </remarks>
public sealed class QueryRegex
{
    /// <summary>The longest pattern accepted, in UTF-16 code units.</summary>
    public const int MaxLength = 256;

    /// <summary>The largest repetition bound accepted in <c>{n,m}</c>.</summary>
    public const int MaxRepetition = 100;

    private const string DotNetAnyCodePoint = @"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\uD800-\uDFFF])";
    private const string Punctuation = @".\/-*+?()[]{}|^$#&~!%,:;<=>@`'""";
    // Patterns kept compiled (SQLite's matches() looks its pattern up for every row it tests).
    private const int MaxCached = 256;
    private static readonly ConcurrentDictionary<string, QueryRegex> Cache = new(StringComparer.Ordinal);

    private readonly Regex _regex;

    private QueryRegex(string pattern, string dotNetPattern, string posixPattern)
    {
        Pattern = pattern;
        DotNetPattern = dotNetPattern;
        PosixPattern = posixPattern;
        LiteralPrefix = ReadLiteralPrefix(pattern);
        _regex = new Regex(dotNetPattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    /// <summary>How many compiled patterns the cache holds (for tests).</summary>
    internal static int CachedCount => Cache.Count;

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>The equivalent .NET pattern, for <see cref="RegexOptions.NonBacktracking"/>.</summary>
    public string DotNetPattern { get; }

    /// <summary>The equivalent POSIX advanced regular expression (PostgreSQL <c>~</c>).</summary>
    public string PosixPattern { get; }

    /// <summary>
    /// ASCII text of at least two characters that every value the pattern matches starts with (<c>/blog/</c> for
    /// <c>^\/blog\/.*$</c>), or <see langword="null"/>. A store may add a range on an index of the value
    /// (<c>value &gt;= prefix AND value &lt; prefix with its last character incremented</c>, in byte order) beside the
    /// pattern without changing what it selects.
    /// </summary>
    /// <remarks>
    /// Read conservatively: the pattern must start with <c>^</c> and hold no <c>|</c> anywhere; the prefix ends before the
    /// first character that is not a plain or escaped literal, before a literal followed by a quantifier, and before the
    /// first non-ASCII character or DEL.
    /// </remarks>
    public string? LiteralPrefix { get; }

    /// <summary>Checks and translates a pattern (cached).</summary>
    /// <exception cref="HitQueryException">The pattern is outside the safe subset; the field is <c>filters</c>.</exception>
    public static QueryRegex Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (Cache.TryGetValue(pattern, out var cached))
        {
            return cached;
        }

        var parsed = new Translator(pattern).Run();
        if (Cache.Count >= MaxCached)
        {
            // A compiled pattern near the size limit holds ~160 KB (more as its automaton grows with use), and clients
            // choose the patterns: the cache is kept small and starts again when full rather than grow with them.
            Cache.Clear();
        }

        Cache.TryAdd(pattern, parsed);
        return parsed;
    }

    /// <summary>Whether <paramref name="pattern"/> is in the safe subset; <paramref name="error"/> says why not.</summary>
    public static bool TryParse(string pattern, out QueryRegex? regex, out string? error)
    {
        try
        {
            regex = Parse(pattern);
            error = null;
            return true;
        }
        catch (HitQueryException e)
        {
            regex = null;
            error = e.Reason;
            return false;
        }
    }

    /// <summary>A pattern matching <paramref name="literal"/> as a substring, escaping every special character.</summary>
    public static string Escape(string literal)
    {
        ArgumentNullException.ThrowIfNull(literal);
        var text = new StringBuilder(literal.Length * 2);
        foreach (var c in literal)
        {
            if (@"\.^$|?*+()[]{}/-".Contains(c, StringComparison.Ordinal))
            {
                text.Append('\\');
            }

            text.Append(c);
        }

        return text.ToString();
    }

    private static string? ReadLiteralPrefix(string pattern)
    {
        if (pattern.Length < 3 || pattern[0] != '^' || pattern.Contains('|', StringComparison.Ordinal))
        {
            return null;
        }

        var prefix = new StringBuilder();
        var i = 1;
        while (i < pattern.Length)
        {
            char literal;
            int next;
            if (pattern[i] == '\\' && i + 1 < pattern.Length && Punctuation.Contains(pattern[i + 1], StringComparison.Ordinal))
            {
                (literal, next) = (pattern[i + 1], i + 2);
            }
            else if (@".[](){}*+?|^$\".Contains(pattern[i], StringComparison.Ordinal))
            {
                break;
            }
            else
            {
                (literal, next) = (pattern[i], i + 1);
            }

            // A quantified literal may be absent or repeated; past ASCII, byte order and UTF-16 order part ways.
            if ((next < pattern.Length && "*+?{".Contains(pattern[next], StringComparison.Ordinal)) || literal is < ' ' or >= '\x7f')
            {
                break;
            }

            prefix.Append(literal);
            i = next;
        }

        return prefix.Length >= 2 ? prefix.ToString() : null;
    }

    /// <summary>Whether the value matches somewhere (linear time).</summary>
    public bool IsMatch(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return _regex.IsMatch(value);
    }

    /// <inheritdoc />
    public override string ToString() => Pattern;

    private sealed class Translator(string pattern)
    {
        private readonly StringBuilder _net = new();
        private readonly StringBuilder _posix = new();
        private int _position;

        // Per open group: whether it holds a counted repetition (for the nesting rule).
        private readonly Stack<bool> _groups = new();

        public QueryRegex Run()
        {
            if (pattern.Length == 0)
            {
                throw Fail("An empty pattern matches everything; use a non-empty pattern.");
            }

            if (pattern.Length > MaxLength)
            {
                throw Fail($"The pattern is longer than {MaxLength} characters.");
            }

            // lastAtom: the start offsets of the last atom in both outputs, or null when a quantifier may not follow.
            (int Net, int Posix, bool HasCounted)? lastAtom = null;
            var groupStarts = new Stack<(int Net, int Posix)>();
            while (_position < pattern.Length)
            {
                var c = pattern[_position];
                var atomStart = (_net.Length, _posix.Length);
                switch (c)
                {
                    case '\\':
                        Escape();
                        lastAtom = (atomStart.Item1, atomStart.Item2, false);
                        continue;
                    case '.':
                        _position++;
                        _net.Append(DotNetAnyCodePoint);
                        _posix.Append('.');
                        lastAtom = (atomStart.Item1, atomStart.Item2, false);
                        continue;
                    case '^':
                        _position++;
                        _net.Append('^');
                        _posix.Append('^');
                        lastAtom = null;
                        continue;
                    case '$':
                        _position++;
                        _net.Append(@"\z");
                        _posix.Append('$');
                        lastAtom = null;
                        continue;
                    case '[':
                        Class();
                        lastAtom = (atomStart.Item1, atomStart.Item2, false);
                        continue;
                    case '(':
                        _position++;
                        if (Peek('?'))
                        {
                            if (_position + 1 < pattern.Length && pattern[_position + 1] == ':')
                            {
                                _position += 2;
                            }
                            else
                            {
                                throw Fail("Only plain groups ( ) and non-capturing groups (?: ) are supported: no lookahead, lookbehind, named or atomic groups, or inline options.");
                            }
                        }

                        if (_groups.Count >= 16)
                        {
                            throw Fail("Groups are nested more than 16 deep.");
                        }

                        groupStarts.Push(atomStart);
                        _groups.Push(false);
                        _net.Append("(?:");
                        _posix.Append("(?:");
                        lastAtom = null;
                        continue;
                    case ')':
                        if (_groups.Count == 0)
                        {
                            throw Fail("Unbalanced ')'.");
                        }

                        _position++;
                        _net.Append(')');
                        _posix.Append(')');
                        var inner = _groups.Pop();
                        var start = groupStarts.Pop();
                        lastAtom = (start.Net, start.Posix, inner);
                        if (inner && _groups.Count > 0)
                        {
                            // The enclosing group holds the counted repetition too: "((a{50})){50}" nests as "(a{50}){50}" does.
                            _groups.Pop();
                            _groups.Push(true);
                        }

                        continue;
                    case '|':
                        _position++;
                        _net.Append('|');
                        _posix.Append('|');
                        lastAtom = null;
                        continue;
                    case '*' or '+' or '?' or '{':
                        if (lastAtom is not { } atom)
                        {
                            throw Fail($"The quantifier '{c}' at position {_position} has nothing to repeat.");
                        }

                        Quantifier(atom.HasCounted);
                        lastAtom = null;
                        continue;
                    case ']' or '}':
                        throw Fail($"Escape a literal '{c}' as '\\{c}'.");
                    default:
                        Literal();
                        lastAtom = (atomStart.Item1, atomStart.Item2, false);
                        continue;
                }
            }

            if (_groups.Count > 0)
            {
                throw Fail("Unbalanced '('.");
            }

            try
            {
                return new QueryRegex(pattern, _net.ToString(), _posix.ToString());
            }
            catch (NotSupportedException)
            {
                // The non-backtracking engine refuses automata of more than 10 000 nodes ("(" + 100 letters + "){100}"
                // is within every rule above and still too large): the client's pattern, so a 400, not a 500.
                throw Fail($"The pattern is too large once its repetitions are expanded (at most about {MaxRepetition * 100} characters' worth).");
            }
        }

        private bool Peek(char c) => _position < pattern.Length && pattern[_position] == c;

        private void Literal()
        {
            var c = pattern[_position];
            if (char.IsHighSurrogate(c) && _position + 1 < pattern.Length && char.IsLowSurrogate(pattern[_position + 1]))
            {
                // One code point: a group in .NET so that a quantifier repeats both halves.
                _net.Append("(?:").Append(c).Append(pattern[_position + 1]).Append(')');
                _posix.Append(c).Append(pattern[_position + 1]);
                _position += 2;
                return;
            }

            if (char.IsSurrogate(c) || char.IsControl(c))
            {
                throw Fail($"The character U+{(int)c:X4} at position {_position} is not allowed in a pattern.");
            }

            _net.Append(c);
            _posix.Append(c);
            _position++;
        }

        private void Escape()
        {
            if (_position + 1 >= pattern.Length)
            {
                throw Fail("The pattern ends with a lone backslash.");
            }

            var e = pattern[_position + 1];
            _position += 2;
            switch (e)
            {
                case 'd':
                    Both("[0-9]");
                    return;
                case 'D':
                    _net.Append(@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^0-9\uD800-\uDFFF])");
                    _posix.Append("[^0-9]");
                    return;
                case 'w':
                    Both("[A-Za-z0-9_]");
                    return;
                case 'W':
                    _net.Append(@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^A-Za-z0-9_\uD800-\uDFFF])");
                    _posix.Append("[^A-Za-z0-9_]");
                    return;
                case 's':
                    Both(@"[ \t\n\r\f\v]");
                    return;
                case 'S':
                    _net.Append(@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^ \t\n\r\f\v\uD800-\uDFFF])");
                    _posix.Append(@"[^ \t\n\r\f\v]");
                    return;
                default:
                    if (e == ' ' || Punctuation.Contains(e, StringComparison.Ordinal) || e == '\\')
                    {
                        Both(e == ' ' ? " " : "\\" + e);
                        return;
                    }

                    throw Fail($"The escape '\\{e}' is not supported (no backreferences, \\b, \\p{{…}} or character codes); escape only punctuation, or use \\d, \\w, \\s.");
            }
        }

        private void Both(string text)
        {
            _net.Append(text);
            _posix.Append(text);
        }

        private void Class()
        {
            _position++; // [
            var negated = Peek('^');
            if (negated)
            {
                _position++;
            }

            var body = new StringBuilder();
            var any = false;
            while (true)
            {
                if (_position >= pattern.Length)
                {
                    throw Fail("Unterminated '['.");
                }

                var c = pattern[_position];
                if (c == ']')
                {
                    if (!any)
                    {
                        throw Fail("An empty class '[]' matches nothing; escape a literal ']' as '\\]'.");
                    }

                    _position++;
                    break;
                }

                if (c == '[')
                {
                    throw Fail("Escape a literal '[' inside a class as '\\['; POSIX classes like [:alpha:] are not supported.");
                }

                any = true;
                if (c == '\\')
                {
                    if (_position + 1 >= pattern.Length)
                    {
                        throw Fail("Unterminated '['.");
                    }

                    var e = pattern[_position + 1];
                    _position += 2;
                    switch (e)
                    {
                        case 'd':
                            body.Append("0-9");
                            continue;
                        case 'w':
                            body.Append("A-Za-z0-9_");
                            continue;
                        case 's':
                            body.Append(@" \t\n\r\f\v");
                            continue;
                        default:
                            if (e == '\\' || @"]-[^.$*+?(){}|/".Contains(e, StringComparison.Ordinal))
                            {
                                body.Append('\\').Append(e);
                                continue;
                            }

                            throw Fail($"The escape '\\{e}' is not supported inside a class; use \\d, \\w, \\s or escaped punctuation.");
                    }
                }

                var low = ClassChar(c);
                _position++;
                if (Peek('-') && _position + 1 < pattern.Length && pattern[_position + 1] != ']')
                {
                    _position++;
                    var h = pattern[_position];
                    if (h == '\\' || h == '[')
                    {
                        throw Fail("A range must end in a plain character.");
                    }

                    var high = ClassChar(h);
                    _position++;
                    if (high < low)
                    {
                        throw Fail($"The range '{low}-{high}' is reversed.");
                    }

                    if (low < 0xD800 && high > 0xDFFF)
                    {
                        throw Fail("A range may not span U+D800 to U+DFFF; split it in two.");
                    }

                    body.Append(low).Append('-').Append(high);
                    continue;
                }

                if (c == '-' && !Peek(']'))
                {
                    throw Fail("Escape a literal '-' inside a class as '\\-' (or put it last).");
                }

                body.Append(c == '-' ? "\\-" : c == '^' ? "\\^" : c.ToString());
            }

            if (negated)
            {
                _net.Append(@"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^").Append(body).Append(@"\uD800-\uDFFF])");
                _posix.Append("[^").Append(body).Append(']');
            }
            else
            {
                _net.Append('[').Append(body).Append(']');
                _posix.Append('[').Append(body).Append(']');
            }
        }

        private char ClassChar(char c)
        {
            if (char.IsSurrogate(c))
            {
                throw Fail("Characters above U+FFFF are not supported inside a class; write them outside, e.g. (😀|😃).");
            }

            if (char.IsControl(c))
            {
                throw Fail($"The character U+{(int)c:X4} is not allowed in a pattern.");
            }

            return c;
        }

        private void Quantifier(bool atomHasCounted)
        {
            var c = pattern[_position];
            var counted = false;
            if (c == '{')
            {
                var close = pattern.IndexOf('}', _position);
                var inside = close < 0 ? null : pattern[(_position + 1)..close];
                var parts = inside?.Split(',');
                if (parts is null || parts.Length > 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var min) ||
                    (parts.Length == 2 && parts[1].Length > 0 && !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                {
                    throw Fail("A '{' must start a repetition {n}, {n,} or {n,m}; escape a literal one as '\\{'.");
                }

                var max = parts.Length == 1 ? min : parts[1].Length == 0 ? (int?)null : int.Parse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture);
                if (min > MaxRepetition || max > MaxRepetition || max < min)
                {
                    throw Fail($"Repetition bounds must be 0 to {MaxRepetition}, the second not below the first.");
                }

                if (atomHasCounted)
                {
                    throw Fail("A counted repetition {n,m} may not contain another one.");
                }

                var text = pattern[_position..(close + 1)];
                Both(text);
                _position = close + 1;
                counted = true;
            }
            else
            {
                Both(c.ToString());
                _position++;
            }

            if (Peek('?'))
            {
                Both("?");
                _position++;
            }

            if (_position < pattern.Length && pattern[_position] is '*' or '+' or '?' or '{')
            {
                throw Fail("Quantifiers cannot follow one another (no possessive or nested quantifiers); use a group.");
            }

            if ((counted || atomHasCounted) && _groups.Count > 0)
            {
                _groups.Pop();
                _groups.Push(true);
            }
        }

        private HitQueryException Fail(string reason) =>
            new("filters", $"The regular expression {Show(pattern)} is not in the supported subset: {reason} See docs/query-api.md#regular-expressions.");

        private static string Show(string text) => "\"" + (text.Length > 60 ? text[..60] + "…" : text) + "\"";
    }
}
