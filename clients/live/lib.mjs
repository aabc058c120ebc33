// Shared by the live-update scripts: bounded waits, what /metrics says of
// the cable, and recording what each subscription delivered.

// within settles with promise, or rejects after ms with what was awaited:
// the bound only keeps a broken run from hanging; nothing passes or fails
// by how fast it was.
export function within(ms, promise, what) {
  let timer;
  const bound = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

// gauge reads one gauge of the gateway's GET /metrics (Prometheus text).
export async function gauge(gateway, name) {
  const text = await (await fetch(`${gateway}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`/metrics has no ${name}`);
  return Number(line.slice(name.length + 1));
}

// until polls check (sync or async) until it returns true, for up to ms;
// what (text, or a function giving it) says what did not happen.
export async function until(check, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${typeof what === 'function' ? what() : what}: not within ${ms / 1000}s`);
}

// channelsConfirmed waits until Circle's cable has confirmed n channel
// subscriptions (gateway_cable_channels_confirmed): from then on, what the
// sandbox publishes on them reaches the subscribers. Writes made before
// would notify nobody, which no client could tell from a lost event.
export async function channelsConfirmed(gateway, n, ms = 30_000) {
  let last;
  await until(async () => (last = await gauge(gateway, 'gateway_cable_channels_confirmed')) === n,
    () => `${n} channel subscriptions confirmed on the cable (last seen: ${last})`, ms);
}

// Stream records every result one subscription delivers, in order, and
// lets the script wait for the next one.
export class Stream {
  constructor(name) {
    this.name = name;
    this.results = [];
    this.errors = [];
    this.completed = false;
    this.waiters = [];
  }

  // sink is the { next, error, complete } the graphql-ws and graphql-sse
  // clients call.
  get sink() {
    return {
      next: (r) => {
        this.results.push(r);
        this.wake();
      },
      error: (e) => {
        this.errors.push(describe(e));
        this.wake();
      },
      complete: () => {
        this.completed = true;
        this.wake();
      },
    };
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  // nth waits (up to ms) until result i (from 0) has arrived and returns
  // it; an error or an end of the stream before it fails at once.
  nth(i, ms = 30_000) {
    return this.find((_, j) => j === i, `result ${i + 1}`, ms);
  }

  // find waits (up to ms) for a result that satisfies match and returns
  // the first one.
  async find(match, what, ms = 30_000) {
    const found = () => this.results.find(match);
    await within(ms, new Promise((resolve) => {
      const check = () => (found() !== undefined || this.errors.length > 0 || this.completed ? resolve() : this.waiters.push(check));
      check();
    }), `${this.name}: ${what}`);
    const r = found();
    if (r !== undefined) return r;
    throw new Error(`${this.name} ended before ${what}: ${this.errors.join('; ') || 'complete'}`);
  }

  summary() {
    return { results: this.results, errors: this.errors, completed: this.completed };
  }
}

// describe turns what a client reports as an error (an Error, a
// CloseEvent, a list of GraphQL errors) into text.
export function describe(e) {
  if (e instanceof Error) return e.message;
  if (Array.isArray(e)) return e.map((x) => x.message || JSON.stringify(x)).join('; ');
  if (e && typeof e === 'object' && 'code' in e) return `closed ${e.code} ${e.reason || ''}`.trim();
  return JSON.stringify(e);
}
