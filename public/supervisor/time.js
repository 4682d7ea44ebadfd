// One timezone for every time the board shows (this browser's, named on the page), and durations
// counted on the server's clock: each board says the server's "now", and the gap to this
// browser's clock is kept, so a server whose clock is moved (tests, the CI twin) still counts right.
export const TIMEZONE = (() => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch (_) {
    return 'UTC';
  }
})();

const clockFormat = new Intl.DateTimeFormat('en-GB', { timeZone: TIMEZONE, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const minuteFormat = new Intl.DateTimeFormat('en-GB', { timeZone: TIMEZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

let offset = 0;

/** The server said it is `serverNow` (epoch ms). */
export function syncClock(serverNow) {
  offset = serverNow - Date.now();
}

/** The server's clock now, as far as this page can tell. */
export function serverNow() {
  return Date.now() + offset;
}

/** HH:MM:SS in the board's timezone. */
export function clock(ms) {
  return clockFormat.format(new Date(ms));
}

/** HH:MM in the board's timezone. */
export function minute(ms) {
  return minuteFormat.format(new Date(ms));
}

/** "42 s", "3 min 05 s", "1 h 02 min". */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Every element with data-since (server epoch ms) shows how long ago that was; called every second. */
export function tick(root = document) {
  const now = serverNow();
  for (const el of root.querySelectorAll('[data-since]')) el.textContent = duration(now - Number(el.dataset.since));
}
