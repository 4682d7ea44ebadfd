// One chat opened from the board: read-only (monitor) until the supervisor joins it (barge-in),
// then they can write to it and leave it. The server pushes the chat's state and its messages.
import { clock } from './time.js';

const $ = (id) => document.getElementById(id);

export class Monitor {
  constructor(session, { problem, announce, changed }) {
    this.session = session;
    this.problem = problem;
    this.announce = announce;
    // Told when the chat shown changes (opened, closed), so the list marks the current one.
    this.changed = changed;
    this.taskSid = null;
    this.stop = null;
    this.meta = null;
    $('join').addEventListener('click', () => this.act('Join', 'You joined the chat.'));
    $('leave').addEventListener('click', () => this.act('Leave', 'You left the chat.'));
    $('close-monitor').addEventListener('click', () => this.close());
    $('say').addEventListener('submit', (e) => {
      e.preventDefault();
      this.say();
    });
    $('say-text').addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter is a new line, as in the agent desktop.
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.say();
      }
    });
  }

  get current() {
    return this.taskSid;
  }

  open(taskSid, customer) {
    if (this.taskSid === taskSid) return;
    this.close(false);
    this.taskSid = taskSid;
    this.meta = null;
    $('monitor').hidden = false;
    $('monitor-heading').textContent = `Chat with ${customer}`;
    $('monitor-state').textContent = 'Opening…';
    $('monitor-people').textContent = '';
    $('transcript').replaceChildren();
    $('join').hidden = false;
    $('join').disabled = true;
    $('leave').hidden = true;
    $('say').hidden = true;
    this.stop = this.session.stream(`/Chats/${taskSid}/Stream`, {
      chat: (meta) => this.show(meta),
      messages: (list) => this.add(list),
      gone: (message) => {
        $('monitor-state').textContent = message;
        $('join').disabled = true;
      },
    });
    $('monitor-heading').setAttribute('tabindex', '-1');
    $('monitor-heading').focus();
    this.changed();
  }

  close(focusBack = true) {
    if (this.stop) this.stop();
    this.stop = null;
    const was = this.taskSid;
    this.taskSid = null;
    $('monitor').hidden = true;
    if (focusBack && was) document.querySelector(`#chats li[data-task="${was}"] button`)?.focus();
    if (was) this.changed();
  }

  show(meta) {
    this.meta = meta;
    const ended = meta.channel_status !== 'active' || meta.conversation_state === 'closed';
    $('monitor-heading').textContent = `Chat with ${meta.customer}`;
    $('monitor-state').textContent = ended
      ? 'This chat has ended.'
      : meta.joined
        ? `You are in this chat as ${meta.identity}: the customer and the agent see what you write.`
        : 'Monitoring: read-only, and neither the customer nor the agent sees you.';
    $('monitor-people').textContent = 'In the chat: ' + (meta.participants.map((p) => `${p.name} (${p.you ? 'you' : p.kind})`).join(', ') || 'nobody');
    $('join').hidden = meta.joined;
    $('join').disabled = ended;
    $('leave').hidden = !meta.joined;
    $('say').hidden = !meta.joined || ended;
  }

  add(list) {
    const ol = $('transcript');
    for (const m of list) {
      if (ol.querySelector(`li[data-index="${m.index}"]`)) continue;
      const li = document.createElement('li');
      li.dataset.index = String(m.index);
      li.className = m.kind;
      const head = document.createElement('p');
      head.className = 'head';
      const author = document.createElement('span');
      author.className = 'author';
      author.textContent = m.name + (m.kind === 'customer' ? '' : ` (${m.kind})`);
      const time = document.createElement('time');
      time.className = 'muted small';
      time.dateTime = new Date(m.date_created).toISOString();
      time.textContent = clock(m.date_created);
      head.append(author, ' ', time);
      li.appendChild(head);
      if (m.body) {
        const body = document.createElement('p');
        body.className = 'body';
        body.textContent = m.body;
        li.appendChild(body);
      }
      for (const media of m.media) {
        const p = document.createElement('p');
        p.className = 'media small';
        p.textContent = `Attachment: ${media.filename || 'file'}${media.content_type ? ` (${media.content_type})` : ''}`;
        li.appendChild(p);
      }
      ol.appendChild(li);
    }
    const log = $('transcript-log');
    log.scrollTop = log.scrollHeight;
  }

  async act(what, done) {
    const sid = this.taskSid;
    const button = $(what === 'Join' ? 'join' : 'leave');
    button.disabled = true;
    try {
      const meta = await this.session.call('POST', `/Chats/${sid}/${what}`);
      if (this.taskSid !== sid) return;
      this.show(meta);
      this.announce(done);
      if (meta.joined) $('say-text').focus();
      else $('join').focus();
    } catch (err) {
      this.problem(`Could not ${what.toLowerCase()} the chat: ${err.message}`);
    } finally {
      button.disabled = false;
      // The chat may have ended meanwhile: the buttons follow what is known of it.
      if (this.meta && this.taskSid === sid) this.show(this.meta);
    }
  }

  async say() {
    const text = $('say-text').value;
    if (!text.trim() || !this.taskSid) return;
    $('say-button').disabled = true;
    try {
      const m = await this.session.call('POST', `/Chats/${this.taskSid}/Messages`, { Body: text });
      this.add([m]);
      $('say-text').value = '';
    } catch (err) {
      // What was typed stays in the box.
      this.problem(`Your message was not sent: ${err.message}`);
    } finally {
      $('say-button').disabled = false;
    }
  }
}
