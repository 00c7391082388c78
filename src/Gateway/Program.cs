using OutfitFinder.Gateway.Apis;
using OutfitFinder.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddOutfitFinderGateway();

var app = builder.Build();
app.UseOutfitFinderGateway();
app.MapCatalogsApi();
app.MapProductsApi();
app.MapSearchApi();
app.MapIngestionsApi();
app.MapVectorsApi();
app.MapHealthEndpoints();
app.Run();

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
