// Web chat on any site: <script src="http://HOST/webchat/embed.js" data-widget="YW…"></script>
// adds a "Chat with us" button (data-label changes its text); it opens the chat page of this server
// in an iframe, so the chat talks to its own origin (no CORS, no cookies of the host site) and the
// host page needs nothing else. On a phone-sized window the panel takes the whole screen; elsewhere
// it sits above the button. The button takes the widget's accent colour and counts unread messages
// while the panel is closed (the chat page tells it, by postMessage).
'use strict';

(function () {
  const script = document.currentScript;
  if (!script) return;
  const widget = script.getAttribute('data-widget') || '';
  const label = script.getAttribute('data-label') || 'Chat with us';
  const origin = new URL(script.src, location.href).origin;
  const id = 'switchyard-webchat-' + Math.random().toString(36).slice(2, 8);
  // The panel still opens (its page says what is wrong, to the customer too); the site's owner reads this.
  if (!/^YW[0-9a-fA-F]{32}$/.test(widget))
    console.error(`Switchyard web chat: data-widget="${widget.slice(0, 60)}" is not a widget SID (YW and 32 hexadecimal digits); copy embed_script from the widget API.`);

  // Every rule names what it sets, so the host page's own styles for button or div do not leak in.
  const style = document.createElement('style');
  style.textContent = `
    .${id}-button { all: initial; box-sizing: border-box; position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483646;
      display: inline-flex; align-items: center; gap: 0.4rem; min-height: 2.75rem; padding: 0.6rem 1.1rem;
      font: 600 1rem/1.2 system-ui, sans-serif; color: var(--${id}-fg, #fff); background: var(--${id}-bg, #0b57d0);
      border: 2px solid #fff; border-radius: 2rem; box-shadow: 0 2px 8px rgba(0,0,0,.35); cursor: pointer; max-width: calc(100vw - 2rem); }
    .${id}-badge { all: initial; font: 700 0.8rem/1 system-ui, sans-serif; color: #fff; background: #b3261e; border-radius: 1rem; padding: 0.2rem 0.45rem; }
    .${id}-badge[hidden] { display: none; }
    .${id}-button:focus-visible, .${id}-close:focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }
    .${id}-panel { all: initial; box-sizing: border-box; position: fixed; right: 1rem; bottom: 4.75rem; z-index: 2147483647;
      width: min(24rem, calc(100vw - 2rem)); height: min(40rem, calc(100vh - 6rem)); height: min(40rem, calc(100dvh - 6rem));
      display: flex; flex-direction: column; background: #fff; border: 1px solid #4a4a4a; border-radius: 8px;
      box-shadow: 0 4px 16px rgba(0,0,0,.35); overflow: hidden; }
    .${id}-panel[hidden] { display: none; }
    .${id}-bar { all: initial; box-sizing: border-box; display: flex; justify-content: flex-end; padding: 0.25rem;
      background: #f4f5f7; border-bottom: 1px solid #c9ccd1; }
    .${id}-close { all: initial; box-sizing: border-box; font: 600 0.9rem/1.2 system-ui, sans-serif; color: #0b57d0; background: #fff;
      border: 1px solid #0b57d0; border-radius: 4px; padding: 0.4rem 0.7rem; min-height: 2.25rem; cursor: pointer; }
    .${id}-panel iframe { flex: 1; width: 100%; min-height: 0; border: 0; display: block; }
    @media (max-width: 480px), (max-height: 560px) {
      .${id}-panel { right: 0; bottom: 0; top: 0; left: 0; width: 100%; height: 100%; border: 0; border-radius: 0; }
    }
    @media (prefers-color-scheme: dark) {
      .${id}-panel { background: #151719; border-color: #3c4046; }
      .${id}-bar { background: #202327; border-bottom-color: #3c4046; }
      .${id}-close { color: #8ab4f8; background: #151719; border-color: #8ab4f8; }
    }`;
  document.head.appendChild(style);

  const button = document.createElement('button');
  button.type = 'button';
  button.className = `${id}-button`;
  const text = document.createElement('span');
  text.textContent = label;
  const badge = document.createElement('span');
  badge.className = `${id}-badge`;
  badge.hidden = true;
  button.append(text, badge);
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', `${id}-panel`);

  const panel = document.createElement('div');
  panel.id = `${id}-panel`;
  panel.className = `${id}-panel`;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', label);
  panel.hidden = true;

  const bar = document.createElement('div');
  bar.className = `${id}-bar`;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = `${id}-close`;
  close.textContent = 'Close chat';
  bar.appendChild(close);
  panel.appendChild(bar);

  let frame = null;
  const tellFrame = (open) => frame && frame.contentWindow && frame.contentWindow.postMessage({ type: 'switchyard-webchat', open }, origin);
  function openChat() {
    // The iframe is made on first open: a page that never chats loads nothing more.
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = label;
      frame.src = `${origin}/webchat/?widget=${encodeURIComponent(widget)}`;
      frame.addEventListener('load', () => tellFrame(!panel.hidden));
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    tellFrame(true);
    frame.focus();
  }
  function closeChat() {
    // Hidden, not removed: the conversation goes on, and reopening shows it as it was.
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    tellFrame(false);
    button.focus();
  }
  button.addEventListener('click', () => (panel.hidden ? openChat() : closeChat()));
  close.addEventListener('click', closeChat);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeChat();
  });
  // From the chat page only: how many messages arrived while the panel was closed, and Escape pressed inside it.
  window.addEventListener('message', (e) => {
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin || !e.data || e.data.type !== 'switchyard-webchat') return;
    if (e.data.close === true && !panel.hidden) closeChat();
    if (typeof e.data.unread === 'number') {
      const n = Math.max(0, Math.floor(e.data.unread));
      badge.hidden = n === 0;
      badge.textContent = String(n);
      button.setAttribute('aria-label', n ? `${label}, ${n} new ${n === 1 ? 'message' : 'messages'}` : label);
    }
  });

  // The widget's accent colour, with the text colour the server says reads on it.
  if (/^YW[0-9a-fA-F]{32}$/.test(widget))
    fetch(`${origin}/webchat/v1/Widgets/${widget}`)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status === 404 ? 'not found' : 'HTTP ' + r.status))))
      .then((w) => {
        if (!w.accent_color) return;
        button.style.setProperty(`--${id}-bg`, w.accent_color);
        button.style.setProperty(`--${id}-fg`, w.accent_text_color);
      })
      .catch((err) => console.error(`Switchyard web chat: widget ${widget}: ${err.message}`));

  const mount = () => {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
