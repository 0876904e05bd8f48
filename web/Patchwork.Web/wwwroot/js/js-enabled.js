// As GOV.UK Frontend's template does inline (our CSP allows no inline script): style for JavaScript before first paint.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
