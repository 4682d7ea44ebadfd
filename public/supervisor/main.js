// The supervisor's board: plain ES modules, no build. A supervisor signs in with their own
// username and password; the server pushes their workspace's board (queues, agents, chats, the
// last hour) over an event stream whenever it changes, and the page counts durations up between
// pushes on the server's clock. Times are in this browser's timezone, named on the page.
import { ApiError, Session } from './api.js';
import { renderAgents, renderChats, renderQueues } from './board.js';
import { drawChart, resetChart } from './chart.js';
import { Monitor } from './monitor.js';
import { TIMEZONE, clock, syncClock, tick } from './time.js';

const $ = (id) => document.getElementById(id);

let stopBoard = null;
let ticker = null;
let board = null;

function problem(text) {
  $('problem').textContent = text || '';
  $('problem').hidden = !text;
}

/** Said once to screen readers (a polite status), not shown. */
function announce(text) {
  $('said').textContent = text;
}

function setLive(state) {
  $('live').textContent = state === 'live' ? 'Live' : 'Reconnecting…';
}

const session = new Session((why) => signOut(`You were signed out: ${why}`));
const monitor = new Monitor(session, { problem, announce, changed: () => board && renderChats(board, openChat, monitor.current) });

function showSignIn() {
  $('board').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('live').textContent = '';
  $('sign-in').hidden = false;
  $('password').value = '';
  const account = new URLSearchParams(location.search).get('account');
  if (account && !$('account-sid').value) $('account-sid').value = account;
  ($('account-sid').value ? $('username') : $('account-sid')).focus();
}

function signOut(why) {
  if (stopBoard) stopBoard();
  stopBoard = null;
  clearInterval(ticker);
  monitor.close(false);
  session.forget();
  board = null;
  resetChart();
  showSignIn();
  problem(why || '');
}

function start() {
  const d = session.data;
  problem('');
  $('sign-in').hidden = true;
  $('board').hidden = false;
  $('sign-out').hidden = false;
  $('who').textContent = `${d.friendly_name} (${d.roles.includes('admin') ? 'admin' : 'supervisor'})`;
  $('workspace-name').textContent = d.workspace_friendly_name;
  $('workspace-sid').textContent = d.workspace_sid;
  $('timezone').textContent = `Times in ${TIMEZONE}`;
  setLive('reconnecting');
  stopBoard = session.stream('/Board/Stream', { board: show }, setLive);
  clearInterval(ticker);
  ticker = setInterval(() => tick(), 1000);
}

function show(b) {
  board = b;
  syncClock(b.now);
  $('workspace-name').textContent = b.workspace.friendly_name;
  renderQueues(b);
  renderAgents(b, changeActivity);
  renderChats(b, openChat, monitor.current);
  drawChart(b.chart);
  $('updated').textContent = `Updated ${clock(b.now)}`;
}

function openChat(taskSid) {
  const chat = board && board.chats.find((c) => c.task_sid === taskSid);
  monitor.open(taskSid, chat ? chat.customer : 'the customer');
}

async function changeActivity(workerSid, select) {
  const agent = board && board.agents.find((a) => a.sid === workerSid);
  const before = agent ? agent.activity_sid : select.value;
  const picked = select.value;
  select.disabled = true;
  try {
    const res = await session.call('POST', `/Workers/${workerSid}`, { ActivitySid: picked });
    announce(`${res.friendly_name} is now ${res.activity_name}.`);
    problem('');
  } catch (err) {
    select.value = before;
    problem(`Could not change ${agent ? agent.friendly_name : 'the agent'}'s activity: ${err.message}`);
  } finally {
    select.disabled = false;
    // The board that comes with the change is the truth; until then, what the server answered.
    select.focus();
  }
}

$('sign-in').addEventListener('submit', async (e) => {
  e.preventDefault();
  const accountSid = $('account-sid').value.trim();
  const username = $('username').value.trim();
  const password = $('password').value;
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid) || !username || !password) {
    problem('Enter the account SID (AC…), your username and your password.');
    return;
  }
  $('sign-in-button').disabled = true;
  try {
    await session.signIn(accountSid, username, password);
    $('password').value = '';
    start();
  } catch (err) {
    const why = err instanceof ApiError && err.status === 403 ? err.message : err instanceof ApiError && err.status === 401 ? 'The username or password is wrong.' : err.message;
    problem(`Could not sign in: ${why}`);
    $('password').focus();
  } finally {
    $('sign-in-button').disabled = false;
  }
});
$('sign-out').addEventListener('click', () => signOut());

session.resume().then((ok) => (ok ? start() : showSignIn()));
