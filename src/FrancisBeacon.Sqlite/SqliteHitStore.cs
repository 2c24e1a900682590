using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using Dapper;
using FrancisBeacon.Querying;
using FrancisBeacon.Sql;
using FrancisBeacon.Sql.Rollups;
using FrancisBeacon.Storage;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Batches are written in one transaction with one prepared
/// statement, bound by position; queries are translated by <see cref="HitQuerySql"/>.
/// </summary>
public sealed partial class SqliteHitStore : IHitStore, IHitStoreSchema, IVisitorSaltStore, IHitStoreRollups, IHitStoreHealth, IHitStoreCountedAppend, IDisposable
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;
    private readonly TimeSpan _queryTimeout;
    private readonly SqliteSql _sql;
    private readonly HitQuerySql _query;
    private readonly IReadOnlyList<SqlMigration> _migrations;
    private readonly HitRollups _rollups;
    private readonly SqliteWritePriority _priority = new();
    private readonly SqliteDatabaseFile _file;
    private SqliteAppendConnection? _append;

    /// <summary>Creates the store. Nothing touches the database until the first call.</summary>
    /// <exception cref="ArgumentException">The connection string is missing or the table prefix is not allowed.</exception>
    public SqliteHitStore(SqliteHitStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("SqliteHitStoreOptions.ConnectionString is required.", nameof(options));
        }

        if (!SqlIdentifier.IsValidPrefix(options.TablePrefix))
        {
            throw new ArgumentException(
                $"SqliteHitStoreOptions.TablePrefix '{options.TablePrefix}' is not allowed: use lower-case letters, digits and '_'.",
                nameof(options));
        }

        var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
        EnsureDirectory(builder.DataSource);
        _file = new SqliteDatabaseFile(builder.DataSource, builder.Mode);
        _connectionString = builder.ConnectionString;
        _busyTimeoutMs = (int)Math.Clamp(options.BusyTimeout.TotalMilliseconds, 0, int.MaxValue);
        _queryTimeout = options.QueryTimeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan
            : options.QueryTimeout > TimeSpan.Zero ? TimeSpan.FromMilliseconds(Math.Min(options.QueryTimeout.TotalMilliseconds, int.MaxValue - 1))
            : throw new ArgumentException("SqliteHitStoreOptions.QueryTimeout must be positive or Timeout.InfiniteTimeSpan.", nameof(options));
        _sql = new SqliteSql(options.TablePrefix);
        _query = new HitQuerySql(SqliteDialect.Instance, _sql.Hits);
        _migrations = SqlMigrations.Load(
            typeof(SqliteHitStore).Assembly,
            "FrancisBeacon.Sqlite.Migrations.",
            new Dictionary<string, string> { ["{prefix}"] = options.TablePrefix });
        _rollups = new HitRollups(new RollupTables
        {
            Dialect = SqliteDialect.Instance,
            Hits = _sql.Hits,
            Prefix = options.TablePrefix,
            InsertRows = SqliteRollupRowWriter.InsertAsync,
            ApplyDeltaRows = SqliteRollupDeltaWriter.ApplyAsync,
            JsonIdLists = true,
            InsertionOrder = "seq",
            InsertionOrderIsRowKey = true,
            OpenAsync = async ct => await OpenAsync(ct, rollups: true),
            SplitPoint = SplitPointAsync,
        }) { Enabled = options.EnableRollups, MaxLag = options.MaxRollupLag, Incremental = options.IncrementalRollups };
    }

    /// <inheritdoc />
    public int LatestVersion => _migrations.Count;

    /// <summary>The store's rollups (tests read their upkeep counters).</summary>
    internal HitRollups Rollups => _rollups;

    /// <summary>Whether the database file is still the one the store opened (tests shorten its check interval).</summary>
    internal SqliteDatabaseFile DatabaseFile => _file;

    /// <inheritdoc />
    /// <remarks>
    /// Reports the database file deleted, moved away or replaced by another file since the store first opened it (on
    /// Linux by device and inode, elsewhere by existence). The store then refuses every call until the file is back
    /// (docs/deployment.md, "The SQLite file deleted or replaced"). One <c>statx</c> per call, no query.
    /// </remarks>
    public ValueTask<string?> GetProblemAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(_file.Check());
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) =>
        _ = await AppendCountedAsync(hits, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The count is SQLite's own per row (<c>sqlite3_changes</c> after each <c>INSERT OR IGNORE</c>), which
    /// the append reads anyway to mark the rollups' dirty hours.</remarks>
    public async ValueTask<int> AppendCountedAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        cancellationToken.ThrowIfCancellationRequested();
        if (hits.Count == 0)
        {
            return 0;
        }

        // Counted in before BEGIN: the rollup pass lets a waiting hit write go first (SqliteWritePriority), and the hit
        // write waits longer for the lock than the pass's statements do (docs/storage.md, "Writing while the rollups are kept").
        // Not into a file that is gone (at most one look at the file a second; SqliteDatabaseFile).
        _file.ThrowIfMoved();
        using var priority = _priority.EnterHitWrite();
        // Bound by position straight through SQLitePCLRaw, with the rollups' dirty hours marked once per batch in the
        // same transaction (docs/performance.md, "Write path"), on the store's kept connection with its statements
        // prepared once (round 11). A second batch written at the same time opens a connection of its own.
        var append = Interlocked.Exchange(ref _append, null);
        if (append is not null && _file.WalGone(append.Wal))
        {
            RecoverDeletedWal(append);
            append = null;
        }

        int added;
        try
        {
            if (append is null)
            {
                append = SqliteAppendConnection.Create(await OpenAsync(cancellationToken, busyTimeoutMs: HitWriteBusyTimeoutMs), _sql);
                append.Wal = _file.IdentifyWal(); // the statements are prepared: the connection has read the schema through it
            }

            added = append.Write(hits, priority, cancellationToken);
        }
        catch
        {
            // The transaction was rolled back; a fresh connection for the next batch, whatever went wrong here.
            append?.Dispose();
            throw;
        }

        if (!KeepAppendConnection || Interlocked.CompareExchange(ref _append, append, null) is not null)
        {
            append.Dispose();
        }

        return added;
    }

    /// <summary>
    /// The <c>-wal</c> file was deleted (or replaced) while the kept append connection held it: SQLite goes on writing
    /// into the deleted file through the connections that hold it, every connection opened since fails with
    /// <c>SQLITE_IOERR</c>, and what the deleted file holds reaches the database only at a checkpoint through one of the
    /// former (a crash before loses it). So: checkpoint it all through the kept connection and close the store's
    /// connections; the next ones start a new <c>-wal</c>. Nothing is lost, and the store goes on.
    /// </summary>
    private static void RecoverDeletedWal(SqliteAppendConnection append)
    {
        try
        {
            append.CheckpointAndClose();
        }
        catch (SqliteException)
        {
            // Closed all the same; the last connection that holds the deleted file checkpoints it when it closes.
        }
    }

    /// <summary>
    /// Closes the connection kept for hit writes (it is opened again by the next batch). The store keeps it open
    /// otherwise for as long as it lives; <see cref="Dispose"/> closes it.
    /// </summary>
    internal void CloseAppendConnection() => Interlocked.Exchange(ref _append, null)?.Dispose();

    /// <summary>
    /// Closes the connection the store keeps open for hit writes (the container disposes the store when the host
    /// stops, after the beacon's writer has written its last batch). Nothing else is held between calls; a store used
    /// after this opens a new connection for its next batch.
    /// </summary>
    public void Dispose() => CloseAppendConnection();

    /// <summary>Tests and benchmarks: whether hit writes keep their connection and statements between batches (round 11).</summary>
    internal bool KeepAppendConnection { get; set; } = true;

    /// <summary>Tests: the kept connection for hit writes, when one is kept and idle.</summary>
    internal SqliteAppendConnection? AppendConnection => Volatile.Read(ref _append);

    /// <inheritdoc />
    public async ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        query.Validate();
        if (await CompositeQueries.TryAnswerAsync(this, query, cancellationToken) is { } composite)
        {
            return composite;
        }

        await using var connection = await OpenAsync(cancellationToken);
        // A statement runs until its first row without looking at the token: the caller's cancellation (a client that
        // went away) and the query timeout interrupt it (SqliteInterrupt), declared after the connection so that the
        // registration ends before the connection goes back to the pool.
        using var timeout = _queryTimeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(_queryTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout?.Token ?? CancellationToken.None);
        using var interrupt = SqliteInterrupt.Register(connection, linked.Token);
        try
        {
            return await _rollups.TryAnswerAsync(connection, query, linked.Token) ?? await _query.ExecuteAsync(connection, query, linked.Token);
        }
        catch (Exception ex) when (timeout is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested
            && (ex is OperationCanceledException || SqliteInterrupt.IsInterrupted(ex) || ex is SqliteException))
        {
            // The query API answers a TimeoutException 503 with Retry-After, as it does PostgreSQL's command timeout.
            throw new TimeoutException($"The SQLite query ran longer than SqliteHitStoreOptions.QueryTimeout ({_queryTimeout}) and was stopped.", ex);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && (SqliteInterrupt.IsInterrupted(ex) || ex is SqliteException))
        {
            // An interrupt that lands while SQLite is still preparing the statement may surface as SQLITE_ERROR with a
            // misleading parse message ("expected 0 columns for '' but got 19") rather than SQLITE_INTERRUPT: once the
            // caller has gone, any SQLite error is the interrupt's.
            throw new OperationCanceledException("The query was cancelled.", ex, cancellationToken);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        return HitReadOrdering.OrderTiesAsync(ReadByTimestampAsync(range, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes a site's hits <see cref="PurgeChunkRows"/> at a time, oldest first, each chunk in a write transaction of its
    /// own that lets the store's waiting hit writes go first (as the rollup pass's do), so that a purge of millions of
    /// hits never holds SQLite's one write lock for longer than a chunk takes. Each chunk marks the hours of the hits it
    /// deletes overdue (unless the purge keeps the rollups: raw-hit retention), so queries cut those days from what raw
    /// hits are left and the next rollup pass rebuilds them: a purge stopped half-way (an error, a shutdown, a crash)
    /// leaves exact answers over the hits still there, and running it again deletes the rest.
    /// </remarks>
    public async ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        // Raw-hit retention keeps the rollups: the horizon moves first, so that no day being emptied is rebuilt (a late
        // hit marking it dirty) from the part of its hits still there.
        var keepsRollups = HitRollups.IsRawRetention(range);
        if (keepsRollups)
        {
            await _rollups.OnPurgedAsync(range, cancellationToken);
        }

        long purged = 0;
        await using (var connection = await OpenAsync(cancellationToken, rollups: true))
        {
            var parameters = RangeParameters(range);
            parameters.Add("limit", PurgeChunkRows);
            var site = range.SiteId ?? await connection.ExecuteScalarAsync<string?>(new CommandDefinition(_sql.NextSite, new { after = string.Empty }, cancellationToken: cancellationToken));
            while (site is not null)
            {
                parameters.Add("site_id", site);
                long deleted;
                do
                {
                    // The rollup connection's BEGIN IMMEDIATE waits while a hit write is counted in (SqliteWritePriority).
                    await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
                    if (!keepsRollups)
                    {
                        await connection.ExecuteAsync(new CommandDefinition(_sql.PurgeChunkMarkDirty, parameters, transaction, cancellationToken: cancellationToken));
                    }

                    deleted = await connection.ExecuteAsync(new CommandDefinition(_sql.PurgeChunk, parameters, transaction, cancellationToken: cancellationToken));
                    // The rollups' upkeep marks go in the same transaction: a freed top rowid may be handed to the next hit.
                    await _rollups.ForgetUpkeepMarksAsync(connection, transaction, cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    purged += deleted;
                    if (OnPurgeChunkCommitted is { } hook)
                    {
                        await hook();
                    }
                }
                while (deleted == PurgeChunkRows);

                site = range.SiteId is not null ? null
                    : await connection.ExecuteScalarAsync<string?>(new CommandDefinition(_sql.NextSite, new { after = site }, cancellationToken: cancellationToken));
            }
        }

        if (!keepsRollups)
        {
            await _rollups.OnPurgedAsync(range, cancellationToken);
        }

        return purged;
    }

    /// <summary>Hits a purge deletes per transaction (tests make it small).</summary>
    internal int PurgeChunkRows { get; set; } = 4096;

    /// <summary>Tests: called after each chunk of a purge committed.</summary>
    internal Func<ValueTask>? OnPurgeChunkCommitted { get; set; }

    /// <inheritdoc />
    public ValueTask<int> RefreshRollupsAsync(IReadOnlyDictionary<string, TimeZoneInfo> siteTimeZones, CancellationToken cancellationToken) =>
        _rollups.RefreshAsync(siteTimeZones, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<int> GetVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await CurrentVersionAsync(connection, null, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode=WAL", cancellationToken: cancellationToken));
        foreach (var migration in _migrations)
        {
            // BEGIN IMMEDIATE takes the write lock first, so concurrent migrators queue up behind each other.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(_sql.CreateHistory, transaction: transaction, cancellationToken: cancellationToken));
            var version = await CurrentVersionAsync(connection, transaction, cancellationToken);
            if (version > LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The beacon database is at schema version {version}, newer than this code's {LatestVersion}; refusing to touch it.");
            }

            if (version >= migration.Version)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(migration.Script, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                _sql.InsertHistory,
                new { version = migration.Version, name = migration.Name, applied_at = AppliedAt() },
                transaction,
                cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public string GetMigrationScript(int fromVersion) =>
        SqlMigrations.Compose(
            _migrations,
            fromVersion,
            m => $"INSERT INTO {_sql.History} (version, name, applied_at) VALUES ({m.Version.ToString(CultureInfo.InvariantCulture)}, '{m.Name}', CAST(strftime('%s','now') AS INTEGER) * 1000);")
        .Insert(0, fromVersion < LatestVersion ? _sql.CreateHistory + ";\n" : string.Empty);

    /// <inheritdoc />
    public async ValueTask<byte[]> GetOrAddSaltAsync(DateOnly day, byte[] candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        cancellationToken.ThrowIfCancellationRequested();
        var label = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(IsolationLevel.Serializable, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(_sql.InsertSalt, new { day = label, salt = candidate }, transaction, cancellationToken: cancellationToken));
        var salt = await connection.ExecuteScalarAsync<byte[]>(new CommandDefinition(_sql.SelectSalt, new { day = label }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return salt!;
    }

    /// <inheritdoc />
    public async ValueTask<int> DeleteSaltsBeforeAsync(DateOnly day, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            _sql.DeleteSalts, new { day = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }, cancellationToken: cancellationToken));
    }

    private static long AppliedAt() => TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

    // One site's hits (an export) are read a page at a time, each page on a connection of its own, so that no read
    // transaction stays open while the caller writes a page to a slow client (it would hold the WAL from being
    // checkpointed); every site's hits at once (no index serves that order) in one statement.
    private IAsyncEnumerable<Hit> ReadByTimestampAsync(HitRange range, CancellationToken cancellationToken) =>
        range.SiteId is null
            ? ReadStatementAsync(_sql.Read, RangeParameters(range), cancellationToken)
            : HitReadOrdering.ReadInPagesAsync(range, ReadPageSize, ReadPageAsync, cancellationToken);

    /// <summary>Rows per page of a site's <see cref="ReadAsync"/> (at least 2).</summary>
    internal int ReadPageSize { get; set; } = 1000;

    private ValueTask<List<Hit>> ReadPageAsync(HitRange range, int? limit, CancellationToken cancellationToken)
    {
        var parameters = RangeParameters(range);
        parameters.Add("limit", limit ?? -1);
        return ReadStatementAsync(_sql.ReadSitePage, parameters, cancellationToken).ToListAsync(cancellationToken);
    }

    private async IAsyncEnumerable<Hit> ReadStatementAsync(string sql, DynamicParameters parameters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return HitRowReader.Read(reader, static (r, i) => SqliteBatchWriter.ReadId(r, i), static (r, i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i)), static (r, i) => r.GetInt64(i) / 1_000_000m);
        }
    }

    private static string? NullableString(System.Data.Common.DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DynamicParameters RangeParameters(HitRange range)
    {
        var parameters = new DynamicParameters();
        parameters.Add("site_id", range.SiteId);
        parameters.Add("from_ts", SqliteDialect.ToMilliseconds(range.From));
        parameters.Add("to_ts", SqliteDialect.ToMilliseconds(range.To));
        return parameters;
    }

    private async ValueTask<int> CurrentVersionAsync(SqliteConnection connection, SqliteTransaction? transaction, CancellationToken cancellationToken)
    {
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(_sql.HistoryExists, transaction: transaction, cancellationToken: cancellationToken));
        if (exists == 0)
        {
            return 0;
        }

        return (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(_sql.CurrentVersion, transaction: transaction, cancellationToken: cancellationToken));
    }

    // PRAGMA cache_size in KiB (negative): a rollup pass's connection, and every other (SQLite's default).
    internal const int RollupCacheKib = -65536;
    internal const int DefaultCacheKib = -2000;

    private async ValueTask<SqliteConnection> OpenAsync(CancellationToken cancellationToken, bool rollups = false, int? busyTimeoutMs = null)
    {
        // No connection while the database file is gone or replaced: a new one would create an empty database at the
        // path and delete the WAL file the open connections still use (SqliteDatabaseFile).
        _file.ThrowIfMoved();
        // Nor one that would fail on a -wal file deleted under the kept append connection: recover first (at most one
        // look at the file a second).
        if (Volatile.Read(ref _append) is { } kept && _file.WalGone(kept.Wal) && Interlocked.CompareExchange(ref _append, null, kept) == kept)
        {
            RecoverDeletedWal(kept);
        }

        var busy = busyTimeoutMs ?? _busyTimeoutMs;
        var connection = rollups
            ? new SqliteRollupConnection(_connectionString, _priority, TimeSpan.FromMilliseconds(_busyTimeoutMs))
            : new SqliteConnection(_connectionString);
        connection.DefaultTimeout = Math.Max(1, busy / 1000);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // matches / matches_not: the safe subset, evaluated by .NET's linear-time NonBacktracking engine.
            connection.CreateFunction(
                SqliteDialect.RegexFunction,
                (string pattern, string? value) => value is not null && QueryRegex.Parse(pattern).IsMatch(value),
                isDeterministic: true);
            await using var pragma = connection.CreateCommand();
            // A rollup pass gets a page cache of 64 MiB (SQLite's default is 2 MiB): a step inserts at random places of the
            // day's session tables, and with the small cache it spilled dirty pages to the WAL mid-transaction and read
            // pages again (docs/performance.md, "Upkeep, round 10"). Pooled handles go back to the default on their next
            // open, so a query never keeps a pass's cache.
            pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={busy}; PRAGMA synchronous=NORMAL; PRAGMA cache_size={(rollups ? RollupCacheKib : DefaultCacheKib)};");
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            _file.Opened();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static void EnsureDirectory(string dataSource)
    {
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
    }
}
