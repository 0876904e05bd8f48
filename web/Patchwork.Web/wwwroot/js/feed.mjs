// The live feed (DESIGN.md §4): notices pushed on /hubs/feed, spoken in SignalR's JSON hub protocol over a plain WebSocket.
// @microsoft/signalr is on npm, but at 48 KB it would put every page over its 150 KB budget for one message type; the
// protocol this needs is a handshake, "notice" invocations, pings and close, all records ending in 0x1E.
// A notice names no one: it shows a banner and a count, and on that client's page the team is read again (through the
// page itself, so the policy decides again and the read is audited). After every (re)connect, what was missed is read
// from GET /api/v1/notices?after=<last position>. Progressive enhancement only: every page works without this file.
const separator = '\u001e';
const pingEvery = 15000;
const retryDelays = [0, 2000, 5000, 10000, 30000];

export function startFeed() {
  const start = document.querySelector('meta[name="patchwork-notice-position"]');
  if (!start || !('WebSocket' in window)) return;
  let position = Number(start.content) || 0;
  let unread = 0;
  let attempt = 0;
  const seen = new Set();
  const team = document.getElementById('team');
  const messages = document.getElementById('messages');

  connect();

  function connect() {
    const socket = new WebSocket(location.origin.replace(/^http/, 'ws') + '/hubs/feed');
    let handshaken = false;
    let pinger = 0;
    let reconnect = true;
    socket.addEventListener('open', () => socket.send(JSON.stringify({ protocol: 'json', version: 1 }) + separator));
    socket.addEventListener('message', event => {
      for (const record of String(event.data).split(separator)) {
        if (!record) continue;
        const message = JSON.parse(record);
        if (!handshaken) {
          handshaken = true;
          if (message.error) { reconnect = false; socket.close(); return; }
          attempt = 0;
          pinger = setInterval(() => socket.send(JSON.stringify({ type: 6 }) + separator), pingEvery);
          resynchronise();
        } else if (message.type === 1 && message.target === 'notice') {
          receive([message.arguments[0]]);
        } else if (message.type === 7) {
          reconnect = message.allowReconnect === true;
        }
      }
    });
    socket.addEventListener('close', () => {
      clearInterval(pinger);
      if (reconnect) setTimeout(connect, retryDelays[Math.min(attempt++, retryDelays.length - 1)]);
    });
  }

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
    const region = document.getElementById('live-notices');
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
