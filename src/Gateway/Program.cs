using OutfitFinder.Gateway.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddOutfitFinderGateway();

var app = builder.Build();
app.UseOutfitFinderGateway();
app.MapOutfitFinderEndpoints();
app.Run();

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
