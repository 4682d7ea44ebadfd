// Wrap-up: once the chat has ended (or at once, for a task that is no chat), the agent picks a
// disposition code and may write a note; Complete stores both on the task's attributes (through
// POST /Agent/Tasks/{WT}/WrapUp: conversations.outcome and disposition) and completes the task
// through the worker SDK. A visible countdown shows the workspace's wrap-up time; when it runs out
// the desk completes the task with what was chosen so far (Flex's automatic wrap-up).
import { duration, el, problem } from './dom.js';
import { call, localTime, state } from './state.js';

export function wrapupForm(card, id) {
  const codes = state.desk.disposition_codes;
  const code = el('select', { id: id + '-code', required: codes.length > 0 ? true : null });
  code.append(el('option', { value: '', text: codes.length ? 'Choose a disposition' : 'No disposition codes' }));
  for (const c of codes) code.append(el('option', { value: c.code, text: c.friendly_name }));
  const note = el('textarea', { id: id + '-note', rows: '3', maxlength: '1000' });
  const countdown = el('p', { class: 'wrapup-countdown small', role: 'timer', 'aria-live': 'off' });
  const complete = el('button', { type: 'submit', class: 'complete', text: 'Complete' });
  const form = el(
    'form',
    { class: 'wrapup card', hidden: true, 'aria-labelledby': id + '-wrapup-heading' },
    el('h3', { id: id + '-wrapup-heading', text: 'Wrap up' }),
    countdown,
    codes.length ? el('label', { for: id + '-code', text: 'Disposition' }) : null,
    codes.length ? code : null,
    el('label', { for: id + '-note', text: 'Wrap-up note' }),
    note,
    el('div', { class: 'row' }, complete),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    completeTask(card, false);
  });
  Object.assign(card, { wrapForm: form, wrapCode: code, wrapNote: note, wrapCountdown: countdown, complete });
  return form;
}

/** Shows the wrap-up; while wrapping, with the countdown if the workspace sets a wrap-up time. */
export function startWrapup(card, wrapping) {
  card.wrapForm.hidden = false;
  const limit = state.desk.wrapup_timeout;
  if (!wrapping || !limit) {
    card.wrapDeadline = null;
    card.wrapCountdown.textContent = wrapping ? 'No time limit to wrap up.' : '';
    card.wrapCountdown.hidden = !wrapping;
    return;
  }
  if (!card.wrapDeadline) {
    // Seen wrapping when the desk (re)loaded: it started when the task last changed; else now.
    const since = card.loadedWrapping && card.task.dateUpdated ? Math.min(Date.now(), localTime(card.task.dateUpdated.getTime())) : Date.now();
    card.wrapDeadline = since + limit * 1000;
  }
  card.wrapCountdown.hidden = false;
  tickWrapup(card);
}

export function stopWrapup(card) {
  card.wrapDeadline = null;
}

export function tickWrapups() {
  for (const card of state.cards.values()) if (card.wrapDeadline) tickWrapup(card);
}

function tickWrapup(card) {
  const left = Math.max(0, Math.ceil((card.wrapDeadline - Date.now()) / 1000));
  const text = 'Completes automatically in ' + duration(left);
  if (card.wrapCountdown.textContent !== text) card.wrapCountdown.textContent = text;
  card.wrapCountdown.classList.toggle('urgent', left <= 15);
  if (left === 0 && !card.completing) {
    card.wrapDeadline = null;
    card.wrapCountdown.textContent = 'Wrap-up time is up: completing with what you chose.';
    completeTask(card, true);
  }
}

async function completeTask(card, timedOut) {
  if (card.completing) return;
  card.completing = true;
  card.complete.disabled = true;
  const code = card.wrapCode.value;
  const note = card.wrapNote.value.trim();
  try {
    await call('POST', '/Tasks/' + card.task.sid + '/WrapUp', { DispositionCode: code || undefined, Note: note || undefined });
    await card.task.complete(timedOut ? 'Wrap-up time ran out' : 'Completed by the agent');
  } catch (err) {
    problem('Could not complete the task: ' + err.message);
    card.completing = false;
    card.complete.disabled = false;
  }
}
