namespace OutfitFinder.Gateway.Access;

/// <summary>How a route declares who may call it.</summary>
public static class ScopeEndpointExtensions
{
    /// <summary>
    /// Only keys holding <paramref name="scope"/> (and, when confined, allowed the route's
    /// <c>{catalog}</c>) may call these endpoints; rate limits and the audit log key off the same
    /// declaration. Every API route declares one: <c>ScopeMatrixTests</c> fails for a route that does not.
    /// </summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, ApiScope scope)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.RequireAuthorization(ScopeRequirement.PolicyName(scope));
        builder.WithMetadata(new RequiredScope(scope));
        return builder;
    }
}
