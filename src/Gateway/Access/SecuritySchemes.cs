using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OutfitFinder.Gateway.Access;

/// <summary>
/// Declares the two ways to send a key in the OpenAPI document (<c>Bearer</c> and <c>ApiKey</c>)
/// and, on every operation that needs one, which scope: client generators then add the header.
/// </summary>
internal static class SecuritySchemes
{
    public const string Bearer = "Bearer";

    public const string ApiKey = "ApiKey";

    public static OpenApiOptions AddOutfitFinderSecuritySchemes(this OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key (ofk_<id>.<secret>) as 'Authorization: Bearer <key>'. Not needed when the gateway runs with Auth:Mode=None.",
            };
            document.Components.SecuritySchemes[ApiKey] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "The same API key in the X-Api-Key header.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<RequiredScope>().FirstOrDefault() is not { } required)
            {
                return Task.CompletedTask;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = [required.Scope.Name()] });
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKey, context.Document)] = [required.Scope.Name()] });
            operation.Description = $"{operation.Description}\n\nNeeds an API key with the '{required.Scope.Name()}' scope.".TrimStart();
            return Task.CompletedTask;
        });
        return options;
    }
}
