// Keyboard shortcuts (Alt plus a key, read from the key's position so other layouts and macOS's
// Option characters work too), listed in a dialog opened with ? or the header's button.
import { $ } from './dom.js';
import { acceptOffer, firstOffer, rejectOffer } from './offers.js';
import { state } from './state.js';
import { endTheChat, selectNext } from './tasks.js';

export const SHORTCUTS = [
  ['Alt+A', 'Accept the oldest offer'],
  ['Alt+R', 'Reject the oldest offer'],
  ['Alt+↓ / Alt+↑', 'Next / previous task'],
  ['Alt+C', 'Go to the reply box'],
  ['Alt+E', 'End the chat'],
  ['/ (in an empty reply)', 'Canned responses'],
  ['Enter / Shift+Enter', 'Send / new line'],
  ['?', 'This list'],
];

function selectedCard() {
  return state.selected ? state.cards.get(state.selected) : null;
}

export function onKey(ev) {
  if (!state.session || $('desk').hidden) return;
  if (ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    const card = selectedCard();
    const offer = firstOffer();
    const act = {
      KeyA: () => offer && acceptOffer(offer),
      KeyR: () => offer && rejectOffer(offer),
      ArrowDown: () => selectNext(1),
      ArrowUp: () => selectNext(-1),
      KeyC: () => card && !card.reply.disabled && card.reply.focus(),
      KeyE: () => card && endTheChat(card),
    }[ev.code];
    if (!act) return;
    ev.preventDefault();
    act();
    return;
  }
  const typing = ev.target instanceof HTMLElement && (ev.target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(ev.target.tagName));
  if (ev.key === '?' && !typing && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault();
    openHelp();
  }
}

export function openHelp() {
  const dialog = $('shortcuts');
  if (!dialog.open) dialog.showModal();
}
