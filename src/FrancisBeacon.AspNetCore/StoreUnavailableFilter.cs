// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Turns a store that did not answer (a command timeout, a dropped connection, a busy database: a
/// <see cref="TimeoutException"/> or a transient <see cref="DbException"/> anywhere in the exception chain) into
/// <c>503 Service Unavailable</c> with <c>Retry-After</c> and a JSON error naming the store, instead of a 500 with a
/// stack trace. Anything else still propagates: a 500 is a bug, a 503 is an overloaded or absent database.
/// </summary>
internal sealed partial class StoreUnavailableFilter(ILogger<StoreUnavailableFilter> logger) : IEndpointFilter
{
    internal const int RetryAfterSeconds = 5;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception ex) when (IsUnavailable(ex) && !context.HttpContext.Response.HasStarted && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            LogUnavailable(logger, context.HttpContext.Request.Path.Value ?? string.Empty, ex.GetType().Name, ex);
            var response = context.HttpContext.Response;
            response.Clear();
            response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);

            // Returned, not written: the endpoint writes a filter's result as its answer.
            return TypedResults.Json(
                new StatsError("The analytics store did not answer in time or is unavailable; try again shortly.", "store"),
                StatsJsonContext.Default.StatsError,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    internal static bool IsUnavailable(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is TimeoutException || current is DbException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 800, Level = LogLevel.Warning, Message = "Query API: the store did not answer {Path} ({ErrorType}); answered 503")]
    private static partial void LogUnavailable(ILogger logger, string path, string errorType, Exception exception);
}
