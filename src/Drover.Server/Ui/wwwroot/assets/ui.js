// Page-wide pieces shared by the views: the modal dialog, the notice line, and a JSON editor for app definitions.
import { h, mount } from './dom.js';

const modalRoot = () => document.getElementById('modal-root');

/**
 * A modal with a body and buttons. onOk returns a promise; its error shows in the dialog (which stays open), its
 * success closes it. Resolves true on success, false on cancel.
 */
export function modal(title, body, { ok = 'OK', onOk = async () => {}, danger = false } = {}) {
  return new Promise(resolve => {
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    const okButton = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, ok);
    const close = result => { mount(modalRoot()); resolve(result); };
    const form = h('form', { class: 'modal', role: 'dialog', 'aria-label': title },
      h('h2', null, title), body, error,
      h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close(false) }, 'Cancel'), okButton));
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      okButton.disabled = true;
      try {
        await onOk();
        close(true);
      } catch (e) {
        error.hidden = false;
        mount(error, e.message);
        okButton.disabled = false;
      }
    });
    form.addEventListener('keydown', ev => { if (ev.key === 'Escape') close(false); });
    mount(modalRoot(), h('div', { class: 'overlay' }, form));
    form.querySelector('textarea, input')?.focus();
  });
}

let noticeTimer = null;
/** A short message under the top bar (what a write did, or why it failed). */
export function notice(text, kind = 'ok') {
  const el = document.getElementById('notice');
  el.hidden = false;
  el.className = 'notice ' + kind;
  mount(el, text);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 12000 : 5000);
}

/** Runs a write; tells the user what happened either way. */
export async function act(what, fn) {
  try {
    const result = await fn();
    notice(what + (result?.deploymentId ? ` (deployment ${result.deploymentId})` : ''));
    return result;
  } catch (e) {
    notice(`${what} failed: ${e.message}`, 'error');
    return null;
  }
}

/** Asks for a JSON document in a textarea; onOk gets the parsed value. A syntax error names the position. */
export function jsonEditor(title, initial, onOk, ok = 'Save') {
  const area = h('textarea', { class: 'json', rows: 22, spellcheck: 'false', name: 'json', 'aria-label': 'JSON' });
  area.value = typeof initial === 'string' ? initial : JSON.stringify(initial, null, 2);
  return modal(title, area, {
    ok,
    onOk: async () => {
      let value;
      try {
        value = JSON.parse(area.value);
      } catch (e) {
        throw new Error('Invalid JSON: ' + e.message);
      }
      await onOk(value);
    },
  });
}

/** Read-only fields Marathon returns with an app, which must not go back in an edit. */
export function editableApp(app) {
  const copy = { ...app };
  for (const k of ['version', 'versionInfo', 'tasksRunning', 'tasksStaged', 'tasksHealthy', 'tasksUnhealthy', 'deployments',
    'tasks', 'lastTaskFailure', 'readinessCheckResults', 'taskStats', 'counts']) delete copy[k];
  return copy;
}
