// Web chat on any site: <script src="http://HOST/webchat/embed.js" data-widget="YW…"></script>
// adds a "Chat with us" button; it opens the chat page of this server in an iframe, so the chat
// talks to its own origin (no CORS, no cookies of the host site) and the host page needs nothing else.
'use strict';

(function () {
  const script = document.currentScript;
  if (!script) return;
  const widget = script.getAttribute('data-widget') || '';
  const label = script.getAttribute('data-label') || 'Chat with us';
  const origin = new URL(script.src, location.href).origin;
  const id = 'switchyard-webchat-' + Math.random().toString(36).slice(2, 8);

  const style = document.createElement('style');
  style.textContent = `
    .${id}-button { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483646; padding: 0.7rem 1.1rem;
      font: 600 1rem system-ui, sans-serif; color: #fff; background: #0b57d0; border: 2px solid #fff; border-radius: 2rem;
      box-shadow: 0 2px 8px rgba(0,0,0,.35); cursor: pointer; }
    .${id}-button:focus-visible, .${id}-close:focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }
    .${id}-panel { position: fixed; right: 1rem; bottom: 4.5rem; z-index: 2147483647; width: min(24rem, calc(100vw - 2rem));
      height: min(36rem, calc(100vh - 6rem)); display: flex; flex-direction: column; background: #fff; border: 1px solid #4a4a4a;
      border-radius: 8px; box-shadow: 0 4px 16px rgba(0,0,0,.35); overflow: hidden; }
    .${id}-panel[hidden] { display: none; }
    .${id}-bar { display: flex; justify-content: flex-end; padding: 0.25rem; background: #f4f5f7; border-bottom: 1px solid #c9ccd1; }
    .${id}-close { font: 600 0.9rem system-ui, sans-serif; color: #0b57d0; background: #fff; border: 1px solid #0b57d0;
      border-radius: 4px; padding: 0.25rem 0.6rem; cursor: pointer; }
    .${id}-panel iframe { flex: 1; width: 100%; border: 0; }`;
  document.head.appendChild(style);

  const button = document.createElement('button');
  button.type = 'button';
  button.className = `${id}-button`;
  button.textContent = label;
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
  function openChat() {
    // The iframe is made on first open: a page that never chats loads nothing more.
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = label;
      frame.src = `${origin}/webchat/?widget=${encodeURIComponent(widget)}`;
      panel.appendChild(frame);
    }
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    frame.focus();
  }
  function closeChat() {
    // Hidden, not removed: the conversation goes on, and reopening shows it as it was.
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
  button.addEventListener('click', () => (panel.hidden ? openChat() : closeChat()));
  close.addEventListener('click', closeChat);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeChat();
  });

  const mount = () => {
    document.body.appendChild(panel);
    document.body.appendChild(button);
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
