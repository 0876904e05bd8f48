using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Patchwork.Web.Pages.SignIn;

/// <summary>The answer when an account has failed too often in a row: 429 with Retry-After, and a message saying how long.</summary>
internal static class WaitMessage
{
    public static string For(HttpResponse response, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        response.StatusCode = StatusCodes.Status429TooManyRequests;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var howLong = seconds < 90
            ? $"{seconds} seconds"
            : $"{Math.Ceiling(seconds / 60.0).ToString(CultureInfo.InvariantCulture)} minutes";
        return $"There have been too many failed attempts to sign in to this account. Wait {howLong}, then try again";
    }
}
