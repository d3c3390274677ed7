// The HTTP API of the server that served the page, and the live event
// stream, delivered to listeners in batches, one per animation frame.

// ApiError is a failed request: the API's error code and message.
export class ApiError extends Error {
  constructor(status, code, message) {
    super(`${code}: ${message}`);
    this.status = status;
    this.code = code;
  }
}

// request sends one request and returns the Response; a status of 400
// or more throws an ApiError built from the API's error shape.
export async function request(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
      init.body = body;
    } else {
      init.body = JSON.stringify(body);
      init.headers['Content-Type'] = 'application/json';
    }
  }
  const res = await fetch(path, init);
  if (res.status >= 400) {
    let code = String(res.status), message = res.statusText;
    try {
      const e = (await res.json()).error;
      if (e) { code = e.code; message = e.message; }
    } catch { /* not the error shape */ }
    throw new ApiError(res.status, code, message);
  }
  return res;
}

// get fetches a JSON document.
export async function get(path) {
  return (await request('GET', path)).json();
}

// post sends a JSON body and returns the JSON answer (or null if empty).
export async function post(path, body) {
  const res = await request('POST', path, body);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

// The event types of the API (README, Events and webhooks). An
// EventSource hands named events only to listeners of their name.
export const EVENT_TYPES = [
  'task.submitted', 'task.scheduled', 'task.queued', 'task.started', 'task.progress',
  'task.checkpointed', 'task.preempted', 'task.resumed', 'task.retrying', 'task.succeeded',
  'task.failed', 'task.dead', 'task.canceled', 'invoke.finished', 'module.uploaded',
  'module.deleted', 'bundle.uploaded', 'bundle.deleted', 'schedule.fired', 'schedule.skipped',
  'schedule.missed', 'cache.invalidated', 'webhook.failing',
  'workflow.submitted', 'workflow.started', 'workflow.step_finished', 'workflow.succeeded',
  'workflow.failed', 'workflow.canceled', 'batch.callback_fired',
];

// Live is the one event stream of the page. Events are parsed as they
// arrive and queued; once per animation frame every listener gets the
// frame's events as one array, so the page draws once per frame however
// fast events come.
class Live {
  constructor() {
    this.listeners = new Set();
    this.queue = [];
    this.scheduled = false;
    this.received = 0;
    this.frames = 0;
    this.status = () => {};
  }

  start() {
    if (this.source) return;
    // A page kept in the back-forward cache must not hold its stream: a
    // browser has 6 connections per server, and a held one blocks loads.
    if (!this.hooked) {
      this.hooked = true;
      addEventListener('pagehide', () => { if (this.source) { this.source.close(); this.source = null; } });
      addEventListener('pageshow', (e) => { if (e.persisted) this.start(); });
    }
    const es = new EventSource('/v1/events');
    this.source = es;
    const onEvent = (m) => {
      try { this.queue.push(JSON.parse(m.data)); } catch { return; }
      this.received++;
      if (!this.scheduled) {
        this.scheduled = true;
        // A hidden tab gets no animation frames: flush on a timer then.
        if (document.hidden) setTimeout(() => this.flush(), 250);
        else requestAnimationFrame(() => this.flush());
      }
    };
    for (const t of EVENT_TYPES) es.addEventListener(t, onEvent);
    es.onmessage = onEvent;
    es.onopen = () => this.status(true);
    es.onerror = () => this.status(false);
  }

  flush() {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    this.frames++;
    for (const fn of this.listeners) {
      try { fn(batch); } catch (e) { console.error(e); }
    }
  }

  // subscribe calls fn with each frame's events; it returns the function
  // that stops it.
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export const live = new Live();
