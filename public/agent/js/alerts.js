// How an offer gets noticed by an agent looking elsewhere: a chime (Web Audio: no file to load)
// and a browser notification, shown through the service worker so clicking it brings the desk
// forward. Permission is asked once, on the sign-in click (browsers want a user's gesture); the
// agent can mute the chime from the header.
import { $ } from './dom.js';

const ASKED = 'switchyard.agent.notifications-asked';
const MUTED = 'switchyard.agent.muted';

let audio = null;
let registration = null;

/** On the sign-in click: the audio context (allowed to play after a gesture) and, once ever, the notification permission. */
export async function prepareAlerts() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === 'suspended') await audio.resume();
  } catch {
    audio = null;
  }
  if ('Notification' in window && Notification.permission === 'default' && !localStorage.getItem(ASKED)) {
    localStorage.setItem(ASKED, new Date().toISOString());
    await Notification.requestPermission().catch(() => 'default');
  }
  await registerWorker();
}

async function registerWorker() {
  if (registration || !('serviceWorker' in navigator)) return registration;
  try {
    registration = await navigator.serviceWorker.register('sw.js');
  } catch {
    registration = null;
  }
  return registration;
}

export function muted() {
  return localStorage.getItem(MUTED) === '1';
}

/** A toggle whose name stays put ("Mute offers"); pressed while muted. */
export function showSoundButton() {
  $('sound').setAttribute('aria-pressed', String(muted()));
}

export function toggleSound() {
  localStorage.setItem(MUTED, muted() ? '0' : '1');
  showSoundButton();
}

/** Two short rising tones. */
export function chime() {
  if (muted()) return;
  try {
    audio = audio || new AudioContext();
    if (audio.state === 'suspended') audio.resume().catch(() => {});
    const start = audio.currentTime + 0.01;
    [660, 880].forEach((hz, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.0001, start + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, start + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.18 + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.18);
      osc.stop(start + i * 0.18 + 0.17);
    });
  } catch {
    // No audio here (a browser without Web Audio): the notification and the list still show it.
  }
}

/** The offer as a system notification, tagged with its reservation so it can be taken back. */
export async function notifyOffer(tag, title, body) {
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const reg = await registerWorker();
  const options = { body, tag, renotify: true, requireInteraction: true };
  try {
    if (reg) await reg.showNotification(title, options);
    else new Notification(title, options);
  } catch {
    // A system refusing notifications: the chime and the list remain.
  }
}

/** Takes back an offer's notification once it is answered, timed out or gone. */
export async function withdrawOffer(tag) {
  if (!registration) return;
  try {
    for (const n of await registration.getNotifications({ tag })) n.close();
  } catch {
    /* nothing to take back */
  }
}
