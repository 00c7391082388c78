using OutfitFinder.Grains.Hosting;

// A silo without the public API, for clusters of several processes: start one or more of these,
// then the gateway with Cluster:Mode=Client. Serves only health endpoints and its metrics over HTTP.
var builder = WebApplication.CreateBuilder(args);
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
{
    builder.WebHost.UseUrls("http://localhost:5090");
}

builder.AddOutfitFinderTelemetry("outfitfinder-silo");
builder.UseOrleans(silo => silo.AddOutfitFinderClustering(builder.Configuration).AddOutfitFinder(builder.Configuration));
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapHealthChecks("/health/live");
app.MapOutfitFinderMetrics();
app.Run();

/// <summary>Entry point, visible to tests.</summary>
public partial class Program;
