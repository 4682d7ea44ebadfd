// Before a chat: which widget the address names (and the page it shows when there is none, or it
// cannot be one, or it is gone), the widget's look, and its pre-chat form.
export const WIDGET_SID = /^YW[0-9a-fA-F]{32}$/;
const $ = (id) => document.getElementById(id);

/** Shows a problem page instead of the form: a line for the customer, one for the site's owner. */
export function showProblem({ title, text, detail, retry }) {
  $('loading').hidden = true;
  $('start').hidden = true;
  $('chat').hidden = true;
  $('title').textContent = 'Chat unavailable';
  document.title = 'Chat unavailable';
  $('problem-title').textContent = title;
  $('problem-text').textContent = text;
  $('problem-detail').textContent = detail || '';
  $('problem-detail').hidden = !detail;
  $('retry').hidden = !retry;
  $('retry').onclick = retry || null;
  $('problem').hidden = false;
}

const shown = (s) => (s.length > 60 ? s.slice(0, 60) + '…' : s);

/**
 * The widget the address names, fetched; undefined (with its problem page shown) when there is
 * none to chat with. The site owner's line says what to fix: the link, or the widget itself.
 */
export async function loadWidget(given, retry) {
  if (!given) {
    showProblem({
      title: 'This chat is not set up',
      text: 'The link you followed does not say which chat to open, so no chat can start here. Please go back to the site that sent you and open its chat again.',
      detail: 'For the site owner: the chat address ends in ?widget= and the widget SID (YW and 32 hexadecimal digits), as chat_url in the widget API gives it.',
    });
    return undefined;
  }
  if (!WIDGET_SID.test(given)) {
    showProblem({
      title: 'This chat link is broken',
      text: 'The link names a chat that cannot exist, so no chat can start from it. It may have been cut short or mistyped: please open the chat again from the site that sent you.',
      detail: `For the site owner: “${shown(given)}” is not a widget SID (YW and 32 hexadecimal digits). Copy chat_url or embed_script from the widget API again.`,
    });
    return undefined;
  }
  let res;
  try {
    res = await fetch('/webchat/v1/Widgets/' + given);
  } catch (_) {
    showProblem({ title: 'The chat could not load', text: 'Check your internet connection, then try again.', retry });
    return undefined;
  }
  if (res.status === 404) {
    showProblem({
      title: 'This chat is not available',
      text: 'There is no chat at this address any more: it may have been switched off. Please contact us another way.',
      detail: `For the site owner: widget ${given} was not found (deleted, or never made). Make a widget and use its chat_url or embed_script.`,
    });
    return undefined;
  }
  if (!res.ok) {
    const wait = res.headers.get('retry-after');
    showProblem({
      title: 'The chat could not load',
      text: res.status === 429 ? `Too many requests came from here. Try again in ${wait || 'a few'} seconds.` : 'Something went wrong on our side. Please try again in a moment.',
      retry,
    });
    return undefined;
  }
  return res.json();
}

/** The widget's title, greeting and colours on the page (its colours come with a readable text colour). */
export function applyWidget(w) {
  $('title').textContent = w.title;
  document.title = w.title;
  const root = document.documentElement.style;
  if (w.accent_color) {
    root.setProperty('--brand', w.accent_color);
    root.setProperty('--brand-fg', w.accent_text_color);
  }
  if (w.header_color) {
    root.setProperty('--header-bg', w.header_color);
    root.setProperty('--header-fg', w.header_text_color);
  }
  if (w.greeting) {
    $('greeting').textContent = w.greeting;
    $('greeting').hidden = false;
  }
  const form = w.pre_engagement_config || { fields: [] };
  if (form.description) {
    $('description').textContent = form.description;
    $('description').hidden = false;
  }
  if (form.submitLabel) $('start-button').textContent = form.submitLabel;
  buildFields(form.fields || []);
}

/** The widget's own fields, after the name: each labelled, required ones marked and checked here first. */
function buildFields(fields) {
  const box = $('fields');
  box.textContent = '';
  for (const f of fields) {
    const name = f.attributes.name;
    const id = 'pf-' + name;
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = f.label + (f.attributes.required ? '' : ' (optional)');
    let input;
    if (f.type === 'SelectItem') {
      input = document.createElement('select');
      for (const o of f.options) input.add(new Option(o.label, o.value));
    } else if (f.type === 'TextareaItem') {
      input = document.createElement('textarea');
      input.rows = 3;
      input.maxLength = 2000;
    } else {
      input = document.createElement('input');
      input.type = f.attributes.type || 'text';
      input.maxLength = 256;
      if (input.type === 'email') input.autocomplete = 'email';
      if (input.type === 'tel') input.autocomplete = 'tel';
    }
    input.id = id;
    input.name = name;
    input.dataset.field = name;
    input.dataset.kind = f.attributes.type || '';
    input.dataset.label = f.label;
    if (f.attributes.required) input.required = true;
    if (f.attributes.placeholder) input.placeholder = f.attributes.placeholder;
    wrap.append(label, input);
    box.appendChild(wrap);
  }
}

/** Marks a field wrong (or right again), with its message read with it. */
function mark(input, message) {
  const errId = input.id + '-error';
  let err = document.getElementById(errId);
  const described = (input.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== errId);
  if (!message) {
    input.removeAttribute('aria-invalid');
    if (err) err.remove();
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
    return false;
  }
  if (!err) {
    err = document.createElement('p');
    err.id = errId;
    err.className = 'error';
    input.insertAdjacentElement('afterend', err);
  }
  err.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', [...described, errId].join(' '));
  return true;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TEL = /^\+?[0-9][0-9 ().-]{2,31}$/;

/**
 * The form's answers, or null when one is missing or of the wrong kind (each such field marked,
 * the first one focused). The server checks them again.
 */
export function readForm() {
  const name = $('name');
  let first = null;
  const bad = (input, message) => {
    if (mark(input, message) && !first) first = input;
  };
  bad(name, name.value.trim() ? '' : 'Please tell us your name.');
  const answers = {};
  for (const input of $('fields').querySelectorAll('[data-field]')) {
    const v = input.value.trim();
    if (!v) {
      bad(input, input.required ? `Please fill in “${input.dataset.label}”.` : '');
      continue;
    }
    if (input.dataset.kind === 'email' && !EMAIL.test(v)) bad(input, 'Please enter an email address, like name@example.com.');
    else if (input.dataset.kind === 'tel' && !TEL.test(v)) bad(input, 'Please enter a phone number, digits with an optional + in front.');
    else bad(input, '');
    answers[input.dataset.field] = v;
  }
  if (first) {
    first.focus();
    return null;
  }
  return { name: name.value.trim(), answers };
}
