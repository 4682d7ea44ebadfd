// Canned responses: the administrator's texts for the workspace, searched as the agent types
// (GET /Agent/CannedResponses?Search=) and put into the reply box, to be read over and sent.
// {{customer.name}}, {{customer.first_name}} and {{agent.name}} are filled in.
import { el } from './dom.js';
import { call, state } from './state.js';

export function openCanned(card) {
  const box = card.cannedBox;
  if (!box.hidden) {
    box.querySelector('input').focus();
    return;
  }
  const id = 'canned-' + card.task.sid;
  const search = el('input', { id: id + '-search', type: 'search', autocomplete: 'off', 'aria-controls': id + '-results', 'aria-describedby': id + '-hint' });
  const results = el('ul', { id: id + '-results', class: 'canned-results', 'aria-label': 'Canned responses found' });
  const count = el('p', { id: id + '-hint', class: 'muted small', role: 'status' });
  const close = el('button', { type: 'button', class: 'secondary small-button', text: 'Close' });
  box.replaceChildren(el('div', { class: 'row canned-head' }, el('label', { for: id + '-search', text: 'Search canned responses' }), close), search, count, results);
  box.hidden = false;
  card.cannedButton.setAttribute('aria-expanded', 'true');
  let asked = 0;
  const find = async () => {
    const mine = ++asked;
    try {
      const q = search.value.trim();
      const data = await call('GET', '/CannedResponses' + (q ? '?Search=' + encodeURIComponent(q) : ''));
      if (mine !== asked) return; // a later search answered first
      results.replaceChildren(
        ...data.canned_responses.map((c) =>
          el(
            'li',
            {},
            el(
              'button',
              { type: 'button', class: 'canned-choice', onclick: () => choose(card, c) },
              el('span', { class: 'canned-name', text: c.friendly_name }),
              c.category ? el('span', { class: 'badge', text: c.category }) : null,
              el('span', { class: 'canned-body small muted', text: c.body }),
            ),
          ),
        ),
      );
      count.textContent = data.canned_responses.length === 0 ? 'No canned response matches.' : data.canned_responses.length + ' found. Choose one to put it in your reply.';
    } catch (err) {
      count.textContent = 'Could not search: ' + err.message;
    }
  };
  let timer = null;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(find, 150);
  });
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      closeCanned(card);
    } else if (ev.key === 'ArrowDown') {
      ev.preventDefault();
      const first = results.querySelector('button');
      if (first) first.focus();
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const first = results.querySelector('button');
      if (first) first.click();
    }
  });
  results.addEventListener('keydown', (ev) => {
    const buttons = [...results.querySelectorAll('button')];
    const at = buttons.indexOf(document.activeElement);
    if (ev.key === 'ArrowDown' && at < buttons.length - 1) buttons[at + 1].focus();
    else if (ev.key === 'ArrowUp') (at > 0 ? buttons[at - 1] : search).focus();
    else if (ev.key === 'Escape') closeCanned(card);
    else return;
    ev.preventDefault();
  });
  close.addEventListener('click', () => closeCanned(card));
  search.focus();
  find();
}

export function closeCanned(card) {
  card.cannedBox.hidden = true;
  card.cannedBox.replaceChildren();
  card.cannedButton.setAttribute('aria-expanded', 'false');
  card.reply.focus();
}

function choose(card, c) {
  const first = String(card.customer).trim().split(/\s+/)[0] || card.customer;
  const text = c.body
    .replace(/\{\{\s*customer\.name\s*\}\}/g, card.customer)
    .replace(/\{\{\s*customer\.first_name\s*\}\}/g, first)
    .replace(/\{\{\s*agent\.name\s*\}\}/g, state.session.friendly_name);
  const r = card.reply;
  const at = r.selectionStart ?? r.value.length;
  r.value = r.value.slice(0, at) + text + r.value.slice(r.selectionEnd ?? at);
  closeCanned(card);
  r.setSelectionRange(at + text.length, at + text.length);
}
