// The live feed (DESIGN.md §4): notices pushed on /hubs/feed through the official SignalR client (@microsoft/signalr,
// copied into wwwroot/lib by the build). It negotiates WebSockets, then server-sent events, then long polling, so the feed
// keeps working behind proxies that break WebSockets, and it reconnects with back-off for as long as the page is open.
// A notice names no one: it shows a banner and a count, and on that client's page the team is read again (through the
// page itself, so the policy decides again and the read is audited). After every (re)connect, what was missed is read
// from GET /api/v1/notices?after=<last position>. Progressive enhancement only: every page works without this file.
const retryDelays = [0, 2000, 5000, 10000, 30000];

export async function startFeed(signalrUrl) {
  const start = document.querySelector('meta[name="patchwork-notice-position"]');
  const region = document.getElementById('live-notices');
  if (!start || !region || !signalrUrl) return;
  // The client's browser build defines self.signalR; it is fetched only by signed-in pages, once, and then cached.
  await import(signalrUrl);
  const { HubConnectionBuilder, LogLevel } = self.signalR;
  let position = Number(start.content) || 0;
  let unread = 0;
  const seen = new Set();
  const team = document.getElementById('team');
  const messages = document.getElementById('messages');

  const connection = new HubConnectionBuilder()
    .withUrl('/hubs/feed')
    // Never give up while the page is open: the last delay repeats.
    .withAutomaticReconnect({ nextRetryDelayInMilliseconds: retry => retryDelays[Math.min(retry.previousRetryCount, retryDelays.length - 1)] })
    .configureLogging(LogLevel.None)
    .build();
  connection.on('notice', notice => receive([notice]));
  connection.onreconnecting(() => { region.dataset.feed = 'reconnecting'; });
  connection.onreconnected(() => { region.dataset.feed = 'connected'; resynchronise(); });
  // Closed for good only when the server refused the connection (a session that ended): the next page starts again.
  connection.onclose(() => { region.dataset.feed = 'closed'; });

  for (let attempt = 0; ; attempt++) {
    try {
      await connection.start();
      break;
    } catch {
      await new Promise(resolve => setTimeout(resolve, retryDelays[Math.min(attempt + 1, retryDelays.length - 1)]));
    }
  }
  region.dataset.feed = 'connected';
  resynchronise();

  async function resynchronise() {
    for (;;) {
      const response = await fetch(`/api/v1/notices?after=${position}&limit=200`, { headers: { Accept: 'application/json' } });
      if (!response.ok) return;
      const page = await response.json();
      receive(page.notices);
      if (page.notices.length < 200) return;
    }
  }

  function receive(notices) {
    const fresh = notices.filter(notice => !seen.has(notice.id) && seen.add(notice.id));
    if (fresh.length === 0) return;
    position = Math.max(position, ...fresh.map(notice => notice.position));
    unread += fresh.length;
    const teamChanged = team && fresh.some(notice => notice.clientId === team.dataset.client);
    const threadChanged = messages && fresh.some(notice => notice.subjectId === messages.dataset.thread);
    showBanner(teamChanged, threadChanged);
    if (teamChanged) reread('team', 'You can no longer see anyone working with this client.');
    if (threadChanged) reread('messages', 'You can no longer read this thread.');
  }

  function showBanner(teamChanged, threadChanged) {
    const words = unread === 1 ? 'You have 1 new notification.' : `You have ${unread} new notifications.`;
    const heading = element('p', 'govuk-notification-banner__heading', words + ' ');
    const link = element('a', 'govuk-notification-banner__link', 'See your notifications');
    link.href = '/notifications';
    heading.append(link);
    const content = element('div', 'govuk-notification-banner__content');
    content.append(heading);
    if (teamChanged || region.dataset.teamChanged) {
      region.dataset.teamChanged = 'true';
      content.append(element('p', 'govuk-body', "This client's team has changed: it is shown below as it is now."));
    }
    if (threadChanged || region.dataset.threadChanged) {
      region.dataset.threadChanged = 'true';
      content.append(element('p', 'govuk-body', 'This thread has changed: it is shown below as it is now.'));
    }
    const title = element('h2', 'govuk-notification-banner__title', 'Important');
    title.id = 'live-notices-title';
    const header = element('div', 'govuk-notification-banner__header');
    header.append(title);
    const banner = element('div', 'govuk-notification-banner');
    banner.setAttribute('role', 'region');
    banner.setAttribute('aria-labelledby', title.id);
    banner.append(header, content);
    region.replaceChildren(banner);
    const count = document.getElementById('notice-count');
    if (count) count.replaceChildren(element('strong', 'govuk-tag govuk-tag--red patchwork-count', String(unread)),
      element('span', 'govuk-visually-hidden', ' new'));
  }

  // The page as it is now, and the part of it a notice changed in place of the one shown (a 404: gone for this reader).
  async function reread(id, goneText) {
    const response = await fetch(location.pathname, { headers: { Accept: 'text/html' } });
    const current = document.getElementById(id);
    if (response.status === 404) {
      current.replaceChildren(element('p', 'govuk-body', goneText));
      return;
    }
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById(id);
    if (fresh) current.replaceWith(fresh);
  }
}

function element(name, className, text) {
  const made = document.createElement(name);
  if (className) made.className = className;
  if (text) made.textContent = text;
  return made;
}
