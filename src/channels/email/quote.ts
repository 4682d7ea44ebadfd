/**
 * Quoted history in plain text, both ways: what a customer's mail client quoted is cut from the
 * message body (the whole text is kept as the message's body media), and the gateway quotes the
 * conversation's earlier messages under an agent's reply as mail clients do.
 */

// The line a client writes above what it quotes: "On Tue, 3 Mar 2026 at 10:00, Ann <a@x> wrote:"
// (Gmail, Apple Mail, Thunderbird; the date may push "wrote:" to the next line), Outlook's
// "-----Original Message-----", and its "From: ..." block under a rule of underscores.
const ATTRIBUTION = /^\s*On\b.{0,300}\bwrote:\s*$/;
const ATTRIBUTION_START = /^\s*On\b.{0,300}$/;
const WROTE = /^.{0,200}\bwrote:\s*$/;
const ORIGINAL = /^\s*-{2,}\s*Original Message\s*-{2,}\s*$/i;
const RULE = /^\s*_{10,}\s*$/;
const FROM_LINE = /^\s*From:\s/;

/** The text a mail adds: its lines above the quoted history (the whole text if that leaves nothing). */
export function newText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let cut = lines.length;
  for (let i = 0; i < lines.length && cut === lines.length; i++) {
    const line = lines[i];
    if (ATTRIBUTION.test(line) || ORIGINAL.test(line)) cut = i;
    else if (ATTRIBUTION_START.test(line) && i + 1 < lines.length && WROTE.test(lines[i + 1]) && /^\s*>/.test(lines[i + 2] ?? '>')) cut = i;
    else if (RULE.test(line) && FROM_LINE.test(lines[i + 1] ?? '')) cut = i;
    else if (/^\s*>/.test(line) && lines.slice(i).every((l) => l.trim() === '' || /^\s*>/.test(l))) cut = i;
  }
  const kept = lines.slice(0, cut).join('\n').trim();
  return kept === '' ? text.trim() : kept;
}

/** One earlier message, as a reply quotes it. */
export interface Quoted {
  date: Date;
  author: string;
  body: string;
}

/** The plain-text history under a reply: each earlier message, newest first, under its attribution line. */
export function quoteText(earlier: Quoted[]): string {
  return earlier.map((q) => `${attribution(q)}\n${q.body.split('\n').map((l) => (l.startsWith('>') ? `>${l}` : `> ${l}`)).join('\n')}`).join('\n\n');
}

/** The same history in HTML: one blockquote per message, as mail clients collapse them. */
export function quoteHtml(earlier: Quoted[]): string {
  return earlier
    .map((q) => `<div>${escapeHtml(attribution(q))}<br><blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${textToHtml(q.body)}</blockquote></div>`)
    .join('\n');
}

function attribution(q: Quoted): string {
  return `On ${q.date.toUTCString()}, ${q.author} wrote:`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function textToHtml(s: string): string {
  return escapeHtml(s).replace(/\r?\n/g, '<br>\n');
}
