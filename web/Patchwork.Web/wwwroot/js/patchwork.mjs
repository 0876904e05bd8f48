// Progressive enhancement only: every page works without this file.
import { initAll } from '/lib/govuk-frontend/govuk-frontend.min.js';
import { startFeed } from '/js/feed.mjs';

initAll();
startFeed();
