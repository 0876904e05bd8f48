using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Patchwork.Web.Pages;

public static class NotFoundPages
{
    /// <summary>404 with a page saying so (Pages/Shared/NotFound.cshtml), where a bare this.NotFoundPage() would leave the browser a blank.</summary>
    public static IActionResult NotFoundPage(this PageModel page)
    {
        ArgumentNullException.ThrowIfNull(page);
        return new ViewResult { ViewName = "NotFound", StatusCode = StatusCodes.Status404NotFound };
    }
}
