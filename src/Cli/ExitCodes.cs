namespace OutfitFinder.Cli;

/// <summary>Process exit codes. Scripts can rely on 0 meaning "everything asked for was done".</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The gateway refused or failed the request, could not be reached, or some rows/products failed.</summary>
    public const int Failure = 1;

    /// <summary>Stopped by Ctrl+C or SIGTERM (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;
}
