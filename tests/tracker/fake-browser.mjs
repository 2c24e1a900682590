// A tiny fake browser for the tracker tests: window, document, navigator, location, history, links, and a node:vm
// context per page in which the tracker runs as a classic script. No npm dependencies.
//
//   const page = createPage({ url: 'https://example.com/page', attributes: { 'data-outbound': '' } });
//   page.run('window.beacon = window.beacon || function () { (window.beacon.q = window.beacon.q || []).push(arguments) }');
//   page.load(scriptPath);          // runs the tracker with document.currentScript set to its <script> element
//   page.events();                  // the JSON bodies sent so far, parsed, in order
//
// Storage is a trap: document.cookie, localStorage, sessionStorage and indexedDB record the access in
// page.storageTouches and throw, so a tracker that touches them fails loudly.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

// addEventListener and friends, closing over their own listener table rather than relying on `this`: inside a vm
// context the global object the script sees is a proxy of the sandbox, not the sandbox itself.
function makeEmitter(target = {}) {
  const listeners = new Map();
  return Object.assign(target, {
    addEventListener(type, listener) {
      if (!listeners.has(type)) listeners.set(type, []);
      listeners.get(type).push(listener);
    },
    removeEventListener(type, listener) {
      const list = listeners.get(type) ?? [];
      const index = list.indexOf(listener);
      if (index >= 0) list.splice(index, 1);
    },
    dispatchEvent(event) {
      event.target ??= target;
      for (const listener of [...(listeners.get(event.type) ?? [])]) listener.call(target, event);
      return true;
    },
    listenerCount(type) {
      return listeners.get(type)?.length ?? 0;
    },
  });
}

class Element {
  constructor(page, tag, attributes = {}, parent = null) {
    this.page = page;
    this.tagName = tag.toUpperCase();
    this.localName = tag.toLowerCase();
    this.attributes = { ...attributes };
    this.parentNode = parent;
  }

  getAttribute(name) {
    return Object.hasOwn(this.attributes, name) ? this.attributes[name] : null;
  }

  hasAttribute(name) {
    return Object.hasOwn(this.attributes, name);
  }

  matches(selector) {
    const m = /^(\w+)(?:\[(\w+)(?:=["']?([^"'\]]*)["']?)?\])?$/.exec(selector);
    if (!m) throw new Error(`fake DOM: unsupported selector ${selector}`);
    const [, tag, attribute, value] = m;
    if (this.localName !== tag.toLowerCase()) return false;
    if (attribute === undefined) return true;
    return this.hasAttribute(attribute) && (value === undefined || this.getAttribute(attribute) === value);
  }

  closest(selector) {
    for (let node = this; node; node = node.parentNode) {
      if (node.matches?.(selector)) return node;
    }
    return null;
  }

  /** The element's own URL attribute (href or src) resolved against the page, like the DOM's reflected properties. */
  resolved(attribute) {
    const value = this.getAttribute(attribute);
    if (value === null) return null;
    try {
      return new URL(value, this.page.url);
    } catch {
      return null;
    }
  }
}

// HTMLAnchorElement's URL decomposition properties (HTMLHyperlinkElementUtils).
class Anchor extends Element {
  get href() { return this.resolved('href')?.href ?? (this.getAttribute('href') ?? ''); }
  get protocol() { return this.resolved('href')?.protocol ?? ':'; }
  get host() { return this.resolved('href')?.host ?? ''; }
  get hostname() { return this.resolved('href')?.hostname ?? ''; }
  get pathname() { return this.resolved('href')?.pathname ?? ''; }
  get search() { return this.resolved('href')?.search ?? ''; }
  get hash() { return this.resolved('href')?.hash ?? ''; }
  get origin() { return this.resolved('href')?.origin ?? ''; }
}

class Script extends Element {
  get src() { return this.resolved('src')?.href ?? ''; }

  /** DOMStringMap: data-allow-localhost -> allowLocalhost, data-404 -> "404". */
  get dataset() {
    const map = {};
    for (const [name, value] of Object.entries(this.attributes)) {
      if (name.startsWith('data-')) map[name.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = value;
    }
    return map;
  }
}

/**
 * A page. Options: url, referrer, innerWidth, attributes (of the tracker's <script>), src (of that script),
 * navigator (extra navigator fields: doNotTrack, globalPrivacyControl, webdriver), sendBeacon (true: present and
 * accepting; false: present and refusing; 'missing': absent), fetchFails, prerendering.
 */
export function createPage({
  url = 'https://example.com/page',
  referrer = '',
  innerWidth = 1280,
  attributes = {},
  src = '/beacon/script.js',
  navigator: navigatorFields = {},
  sendBeacon = true,
  fetchFails = false,
  prerendering = false,
} = {}) {
  const page = {
    url: new URL(url),
    sent: [],            // { via: 'sendBeacon' | 'fetch', url, body, init }
    storageTouches: [],
    errors: [],
  };

  const trap = (name) => () => {
    page.storageTouches.push(name);
    throw new Error(`the tracker touched ${name}`);
  };

  // location
  const location = {};
  for (const key of ['href', 'protocol', 'host', 'hostname', 'port', 'pathname', 'search', 'origin']) {
    Object.defineProperty(location, key, { get: () => page.url[key], enumerable: true });
  }
  Object.defineProperty(location, 'hash', {
    get: () => page.url.hash,
    set: (value) => {
      const next = new URL(page.url);
      next.hash = value;
      navigateFragment(next);
    },
    enumerable: true,
  });
  location.toString = () => page.url.href;

  // history: a list of entries and a current index
  const entries = [{ url: page.url.href, state: null }];
  let index = 0;
  const history = {
    get length() { return entries.length; },
    get state() { return entries[index].state; },
    pushState(state, _title, next) {
      const target = next === undefined || next === null ? page.url : new URL(next, page.url);
      entries.splice(index + 1, Infinity, { url: target.href, state });
      index++;
      page.url = new URL(target.href);
    },
    replaceState(state, _title, next) {
      const target = next === undefined || next === null ? page.url : new URL(next, page.url);
      entries[index] = { url: target.href, state };
      page.url = new URL(target.href);
    },
    go(delta) {
      const to = index + delta;
      if (to < 0 || to >= entries.length || delta === 0) return;
      const before = page.url;
      index = to;
      page.url = new URL(entries[index].url);
      window.dispatchEvent({ type: 'popstate', state: entries[index].state });
      if (before.hash !== page.url.hash && before.href.split('#')[0] === page.url.href.split('#')[0]) {
        window.dispatchEvent({ type: 'hashchange', oldURL: before.href, newURL: page.url.href });
      }
    },
    back() { history.go(-1); },
    forward() { history.go(1); },
  };

  // A fragment navigation (location.hash = ..., or a click on <a href="#x">): a new entry, popstate, hashchange.
  function navigateFragment(next) {
    const before = page.url;
    entries.splice(index + 1, Infinity, { url: next.href, state: null });
    index++;
    page.url = new URL(next.href);
    window.dispatchEvent({ type: 'popstate', state: null });
    if (before.hash !== page.url.hash) window.dispatchEvent({ type: 'hashchange', oldURL: before.href, newURL: page.url.href });
  }

  // navigator
  const navigator = { userAgent: 'FakeBrowser/1.0', webdriver: false, doNotTrack: null, ...navigatorFields };
  if (sendBeacon !== 'missing') {
    navigator.sendBeacon = function (target, body) {
      if (this !== navigator) throw new TypeError('Illegal invocation');
      page.sent.push({ via: 'sendBeacon', url: String(target), body, accepted: sendBeacon === true });
      return sendBeacon === true;
    };
  }

  const fetch = (target, init = {}) => {
    page.sent.push({ via: 'fetch', url: String(target), body: init.body, init });
    return fetchFails
      ? Promise.reject(new TypeError('Failed to fetch'))
      : Promise.resolve({ ok: true, status: 202 });
  };

  // document
  const document = makeEmitter();
  document.referrer = referrer;
  document.prerendering = prerendering;
  document.visibilityState = prerendering ? 'hidden' : 'visible';
  document.currentScript = null;
  document.body = new Element(page, 'body');
  document.head = new Element(page, 'head');
  const elements = [];
  document.createElement = (tag, attributes = {}, parent = document.body) => {
    const Type = tag.toLowerCase() === 'a' ? Anchor : tag.toLowerCase() === 'script' ? Script : Element;
    const element = new Type(page, tag, attributes, parent);
    elements.push(element);
    return element;
  };
  document.querySelector = (selector) => elements.find((e) => e.matches(selector)) ?? null;
  document.querySelectorAll = (selector) => elements.filter((e) => e.matches(selector));
  Object.defineProperty(document, 'cookie', { get: trap('document.cookie'), set: trap('document.cookie') });

  // window: the vm context's global object
  const window = makeEmitter();
  Object.assign(window, {
    document, navigator, location, history, fetch, innerWidth,
    URL, console, setTimeout, clearTimeout, queueMicrotask, Blob, TextEncoder,
  });
  window.window = window;
  window.self = window;
  for (const name of ['localStorage', 'sessionStorage', 'indexedDB', 'caches']) {
    Object.defineProperty(window, name, { get: trap(name), set: trap(name) });
  }
  vm.createContext(window);

  Object.assign(page, {
    window, document, navigator, location, history,

    /** Runs page code (inline script) in the page's global scope. */
    run(code) {
      return vm.runInContext(code, window, { filename: 'inline.js' });
    },

    /** Adds the tracker's <script> element and runs the file as that script. */
    load(file, extraAttributes = {}) {
      const script = document.createElement('script', { src, ...attributes, ...extraAttributes }, document.head);
      document.currentScript = script;
      try {
        vm.runInContext(readFileSync(file, 'utf8'), window, { filename: file });
      } finally {
        document.currentScript = null;
      }
      return script;
    },

    /** Adds an element; for a link: page.add('a', { href: '...' }). */
    add(tag, attributes = {}, parent = document.body) {
      return document.createElement(tag, attributes, parent);
    },

    /** A click (button 0), or a middle or right click (auxclick with button 1 or 2), bubbling up to the document. */
    click(target, { button = 0 } = {}) {
      document.dispatchEvent({ type: button === 0 ? 'click' : 'auxclick', target, button });
    },

    /** Ends prerendering: the visitor opened the page. */
    activate() {
      document.prerendering = false;
      document.visibilityState = 'visible';
      document.dispatchEvent({ type: 'prerenderingchange' });
      document.dispatchEvent({ type: 'visibilitychange' });
    },

    /** The bodies sent so far, parsed. */
    events() {
      return page.sent.map((s) => JSON.parse(s.body));
    },

    /** The event names sent so far. */
    names() {
      return page.events().map((e) => e.name);
    },
  });
  return page;
}

/** Lets pending promise callbacks (fetch .then) run. */
export const settle = () => new Promise((resolve) => setImmediate(resolve));
