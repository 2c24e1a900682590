using FrancisBeacon;
using FrancisBeacon.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Opts in to API keys and dashboard share links: <c>services.AddBeacon(...).UseSqlite(...).AddTokens(...)</c>.</summary>
public static class BeaconTokenBeaconBuilderExtensions
{
    /// <summary>
    /// Registers the <c>BeaconToken</c> authentication scheme (API keys as <c>Authorization: Bearer</c> tokens) and
    /// the dashboard's share links, with the keys and links configured in code.
    /// </summary>
    /// <remarks>
    /// With no authorization policy on <c>MapBeaconApi</c>, a valid API key is accepted besides loopback callers. With
    /// a policy, add <see cref="BeaconTokenDefaults.AuthenticationScheme"/> to its schemes to let it accept keys (see
    /// docs/api.md). Either way a key reads only its own sites and never changes data.
    /// </remarks>
    /// <param name="builder">The builder returned by <c>AddBeacon</c>.</param>
    /// <param name="configure">Adds the hashed keys and links.</param>
    /// <returns>The same builder.</returns>
    public static IBeaconBuilder AddTokens(this IBeaconBuilder builder, Action<BeaconTokenOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<BeaconTokenOptions>().Configure(configure).ValidateOnStart();
        return AddCore(builder);
    }

    /// <summary>
    /// Registers API keys and share links bound from a configuration section (e.g. <c>FrancisBeacon:Tokens</c>);
    /// when the configuration reloads, removed entries stop working at once. See <see cref="AddTokens(IBeaconBuilder, Action{BeaconTokenOptions})"/>.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddBeacon</c>.</param>
    /// <param name="configuration">The section with <c>ApiKeys</c> and <c>ShareLinks</c> arrays.</param>
    /// <returns>The same builder.</returns>
    public static IBeaconBuilder AddTokens(this IBeaconBuilder builder, IConfigurationSection configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<BeaconTokenOptions>().Bind(configuration).ValidateOnStart();
        return AddCore(builder);
    }

    private static IBeaconBuilder AddCore(IBeaconBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(BeaconTokenMarkerService)))
        {
            throw new InvalidOperationException("AddTokens was called twice; configure every key and link in one call.");
        }

        services.AddSingleton<BeaconTokenMarkerService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BeaconTokenOptions>, BeaconTokenOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BeaconTokenValidator>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, BeaconTokenAuthenticationHandler>(BeaconTokenDefaults.AuthenticationScheme, "FrancisBeacon API key", null);

        // ASP.NET Core makes a lone scheme the default. An app that relied on that for its one scheme must not lose its
        // default because this second scheme appeared; and this scheme never becomes the default of an app that had one.
        services.PostConfigure<AuthenticationOptions>(o =>
        {
            var others = o.Schemes.Where(s => s.Name != BeaconTokenDefaults.AuthenticationScheme).ToList();
            if (others.Count == 1 && o.DefaultScheme is null)
            {
                o.DefaultScheme = others[0].Name;
            }
        });
        return builder;
    }
}
