using OutfitFinder.Cli;

return await CliApp.RunAsync(args);
