namespace FrancisBeacon.AspNetCore;

/// <summary>Registered by AddTokens, so the API accepts keys and the dashboard maps its share links only when asked.</summary>
internal sealed class BeaconTokenMarkerService;
