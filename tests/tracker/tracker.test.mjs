// Tests of the tracker script (src/FrancisBeacon.AspNetCore/Tracker): node --test tests/tracker/
// Every behaviour test runs against both script.js (what is served) and script.src.js (its readable source), so the
// hand-minified file cannot drift from the source.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createPage, settle } from './fake-browser.mjs';

const trackerDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'FrancisBeacon.AspNetCore', 'Tracker');
const minified = join(trackerDir, 'script.js');
const source = join(trackerDir, 'script.src.js');

const STUB = 'window.beacon = window.beacon || function () { (window.beacon.q = window.beacon.q || []).push(arguments) }';
const ALL_FEATURES = {
  'data-hash': '', 'data-outbound': '', 'data-downloads': '', 'data-404': '', 'data-respect-dnt': '',
  'data-respect-gpc': '', 'data-exclude': '/admin*', 'data-domain': 'example.com',
};

describe('script.js size', () => {
  test('is under 1 KB gzipped (level 9)', () => {
    const size = gzipSync(readFileSync(minified), { level: 9 }).length;
    assert.ok(size < 1024, `script.js is ${size} bytes gzipped`);
  });

  test('names no storage API', () => {
    for (const file of [minified, source]) {
      const code = readFileSync(file, 'utf8').replace(/\/\/.*$/gm, '');
      assert.doesNotMatch(code, /cookie|localStorage|sessionStorage|indexedDB|caches|canvas|getContext/i, file);
    }
  });
});

for (const [label, file] of [['script.js', minified], ['script.src.js', source]]) {
  const open = (options = {}, before = '') => {
    const page = createPage(options);
    if (before) page.run(before);
    page.load(file);
    return page;
  };

  describe(`${label}: page view on load`, () => {
    test('sends one page view with url, referrer and screen width to {prefix}/event', () => {
      const page = open({ url: 'https://example.com/pricing?plan=pro#faq', referrer: 'https://news.example/item?id=1', innerWidth: 1440 });
      assert.equal(page.sent.length, 1);
      assert.equal(page.sent[0].url, 'https://example.com/beacon/event');
      assert.deepEqual(page.events()[0], {
        name: 'pageview',
        url: 'https://example.com/pricing?plan=pro',
        referrer: 'https://news.example/item?id=1',
        screen_width: 1440,
      });
    });

    test('sends referrer null when there is none', () => {
      const page = open();
      assert.equal(page.events()[0].referrer, null);
      assert.ok(Object.hasOwn(page.events()[0], 'referrer'));
    });

    test('data-domain is sent as "domain"', () => {
      const page = open({ attributes: { 'data-domain': 'example.com' } });
      assert.equal(page.events()[0].domain, 'example.com');
    });

    test('data-api overrides the endpoint', () => {
      const page = open({ attributes: { 'data-api': 'https://stats.example.org/b/event' } });
      assert.equal(page.sent[0].url, 'https://stats.example.org/b/event');
    });

    test('the default endpoint is "event" beside the script, whatever its query string or host', () => {
      assert.equal(open({ src: '/beacon/script.js?v=ab/c+d==' }).sent[0].url, 'https://example.com/beacon/event');
      assert.equal(open({ src: 'https://cdn.example.net/stats/script.js' }).sent[0].url, 'https://cdn.example.net/stats/event');
      assert.equal(open({ src: '/analytics/script.js' }).sent[0].url, 'https://example.com/analytics/event');
    });

    test('window.beacon is the tracker after loading', () => {
      const page = open();
      assert.equal(typeof page.window.beacon, 'function');
      page.run('beacon("Signup")');
      assert.deepEqual(page.names(), ['pageview', 'Signup']);
    });
  });

  describe(`${label}: localhost`, () => {
    for (const url of ['http://localhost:5000/', 'http://127.0.0.1/x', 'http://127.1.2.3:8080/', 'http://[::1]:5000/', 'file:///home/me/index.html']) {
      test(`sends nothing on ${url}`, () => {
        const page = open({ url }, `${STUB}; beacon("Signup")`);
        page.run('beacon("Later")');
        assert.equal(page.sent.length, 0);
      });

      test(`sends on ${url} with data-allow-localhost`, () => {
        const page = open({ url, attributes: { 'data-allow-localhost': '' } });
        assert.deepEqual(page.names(), ['pageview']);
      });
    }

    test('host names that only contain "localhost" are not local', () => {
      assert.equal(open({ url: 'https://localhost.example.com/' }).sent.length, 1);
      assert.equal(open({ url: 'https://mylocalhost.dev/' }).sent.length, 1);
    });
  });

  describe(`${label}: Do Not Track and Global Privacy Control`, () => {
    test('DNT is ignored unless data-respect-dnt is set', () => {
      assert.equal(open({ navigator: { doNotTrack: '1' } }).sent.length, 1);
    });

    test('data-respect-dnt with DNT=1 sends nothing, not even custom events', () => {
      const page = open({ navigator: { doNotTrack: '1' }, attributes: { 'data-respect-dnt': '' } });
      page.run('beacon("Signup")');
      assert.equal(page.sent.length, 0);
    });

    test('data-respect-dnt with DNT unset or 0 sends', () => {
      assert.equal(open({ navigator: { doNotTrack: '0' }, attributes: { 'data-respect-dnt': '' } }).sent.length, 1);
      assert.equal(open({ navigator: { doNotTrack: null }, attributes: { 'data-respect-dnt': '' } }).sent.length, 1);
    });

    test('GPC is ignored unless data-respect-gpc is set', () => {
      assert.equal(open({ navigator: { globalPrivacyControl: true } }).sent.length, 1);
    });

    test('data-respect-gpc with GPC sends nothing', () => {
      const page = open({ navigator: { globalPrivacyControl: true }, attributes: { 'data-respect-gpc': '' } });
      page.run('beacon("Signup")');
      assert.equal(page.sent.length, 0);
    });

    test('data-respect-gpc without GPC sends', () => {
      assert.equal(open({ navigator: { globalPrivacyControl: false }, attributes: { 'data-respect-gpc': '' } }).sent.length, 1);
    });

    test('data-respect-dnt does not imply GPC, nor the other way round', () => {
      assert.equal(open({ navigator: { globalPrivacyControl: true }, attributes: { 'data-respect-dnt': '' } }).sent.length, 1);
      assert.equal(open({ navigator: { doNotTrack: '1' }, attributes: { 'data-respect-gpc': '' } }).sent.length, 1);
    });
  });

  describe(`${label}: data-exclude`, () => {
    const attributes = { 'data-exclude': '/admin*, /drafts/*/edit,/legal.html' };
    const cases = [
      ['/admin', false], ['/admin/users/3', false], ['/administrator', false], ['/drafts/12/edit', false],
      ['/legal.html', false], ['/drafts/12/view', true], ['/drafts/12/edit/more', true], ['/legalxhtml', true],
      ['/', true], ['/blog/admin', true],
    ];
    for (const [path, sends] of cases) {
      test(`${path} ${sends ? 'is tracked' : 'is excluded'}`, () => {
        const page = open({ url: `https://example.com${path}`, attributes });
        assert.equal(page.sent.length, sends ? 1 : 0);
      });
    }

    test('custom events on an excluded page are not sent, but their callback runs', () => {
      const page = open({ url: 'https://example.com/admin/x', attributes });
      page.window.done = 0;
      page.run('beacon("Signup", { callback: () => done++ })');
      assert.equal(page.sent.length, 0);
      assert.equal(page.window.done, 1);
    });

    test('an SPA leaving an excluded page is tracked again', () => {
      const page = open({ url: 'https://example.com/admin', attributes });
      page.history.pushState(null, '', '/admin/settings');
      page.history.pushState(null, '', '/welcome');
      assert.deepEqual(page.events().map((e) => e.url), ['https://example.com/welcome']);
    });

    test('regular-expression characters in patterns are literal', () => {
      const page = open({ url: 'https://example.com/a+b(1)', attributes: { 'data-exclude': '/a+b(1)' } });
      assert.equal(page.sent.length, 0);
      assert.equal(open({ url: 'https://example.com/aab(1)', attributes: { 'data-exclude': '/a+b(1)' } }).sent.length, 1);
    });
  });

  describe(`${label}: single-page apps`, () => {
    test('pushState to a new path sends a page view with the new URL', () => {
      const page = open({ url: 'https://example.com/' });
      page.history.pushState({ id: 1 }, '', '/docs?tab=2');
      assert.deepEqual(page.events().map((e) => e.url), ['https://example.com/', 'https://example.com/docs?tab=2']);
      assert.deepEqual(page.history.state, { id: 1 }, 'the wrapped pushState still pushes');
      assert.equal(page.location.pathname, '/docs');
    });

    test('never twice for the same path in a row', () => {
      const page = open({ url: 'https://example.com/a' });
      page.history.pushState(null, '', '/a');
      page.history.replaceState(null, '', '/a?sort=asc');
      page.history.pushState(null, '', '/a#section');
      page.window.dispatchEvent({ type: 'popstate' });
      assert.deepEqual(page.names(), ['pageview']);
    });

    test('replaceState to a new path sends a page view', () => {
      const page = open({ url: 'https://example.com/a' });
      page.history.replaceState(null, '', '/b');
      assert.deepEqual(page.events().map((e) => new URL(e.url).pathname), ['/a', '/b']);
    });

    test('back and forward (popstate) send page views', () => {
      const page = open({ url: 'https://example.com/a' });
      page.history.pushState(null, '', '/b');
      page.history.back();
      page.history.forward();
      assert.deepEqual(page.events().map((e) => new URL(e.url).pathname), ['/a', '/b', '/a', '/b']);
    });

    test('hash changes are not page views without data-hash', () => {
      const page = open({ url: 'https://example.com/a' });
      page.location.hash = '#/settings';
      assert.equal(page.sent.length, 1);
    });

    test('the page views carry the current referrer and width', () => {
      const page = open({ url: 'https://example.com/a', referrer: 'https://search.example/' });
      page.history.pushState(null, '', '/b');
      assert.equal(page.events()[1].referrer, 'https://search.example/');
      assert.equal(page.events()[1].screen_width, 1280);
    });
  });

  describe(`${label}: hash mode (data-hash)`, () => {
    test('the page view URL keeps the hash', () => {
      const page = open({ url: 'https://example.com/app#/home', attributes: { 'data-hash': '' } });
      assert.equal(page.events()[0].url, 'https://example.com/app#/home');
    });

    test('a hash change sends one page view (popstate and hashchange both fire)', () => {
      const page = open({ url: 'https://example.com/app#/home', attributes: { 'data-hash': '' } });
      page.location.hash = '#/settings';
      assert.deepEqual(page.events().map((e) => e.url), ['https://example.com/app#/home', 'https://example.com/app#/settings']);
    });

    test('pushState with a new hash, then back', () => {
      const page = open({ url: 'https://example.com/app#/a', attributes: { 'data-hash': '' } });
      page.history.pushState(null, '', '#/b');
      page.history.pushState(null, '', '#/b');
      page.history.back();
      page.history.back();
      assert.deepEqual(page.events().map((e) => new URL(e.url).hash), ['#/a', '#/b', '#/a']);
    });

    test('hashchange alone is enough (browsers that fire no popstate for fragment navigation)', () => {
      const page = open({ url: 'https://example.com/app#/a', attributes: { 'data-hash': '' } });
      page.url = new URL('https://example.com/app#/b');
      page.window.dispatchEvent({ type: 'hashchange' });
      assert.deepEqual(page.events().map((e) => new URL(e.url).hash), ['#/a', '#/b']);
    });

    test('a bare hashchange event for the current hash sends nothing', () => {
      const page = open({ url: 'https://example.com/app#/a', attributes: { 'data-hash': '' } });
      page.window.dispatchEvent({ type: 'hashchange' });
      assert.equal(page.sent.length, 1);
    });
  });

  describe(`${label}: custom events and the queue`, () => {
    test('calls made through the stub before loading are replayed in order, after the page view', () => {
      const page = open({}, `${STUB}; beacon("A"); beacon("B", { props: { n: 1 } }); beacon("C")`);
      assert.deepEqual(page.names(), ['pageview', 'A', 'B', 'C']);
      assert.deepEqual(page.events()[2].props, { n: 1 });
    });

    test('queued callbacks run when replayed', () => {
      const page = open({}, `${STUB}; var done = []; beacon("A", { callback: () => done.push("A") })`);
      assert.deepEqual([...page.window.done], ['A']);
    });

    test('props and revenue are sent; revenue.amount as a string', () => {
      const page = open();
      page.run('beacon("Purchase", { props: { plan: "pro", seats: 3, trial: false }, revenue: { amount: 12.34, currency: "EUR" } })');
      assert.deepEqual(page.events()[1], {
        name: 'Purchase',
        url: 'https://example.com/page',
        referrer: null,
        screen_width: 1280,
        props: { plan: 'pro', seats: 3, trial: false },
        revenue: { amount: '12.34', currency: 'EUR' },
      });
    });

    test('a string amount is kept as it is', () => {
      const page = open();
      page.run('beacon("Purchase", { revenue: { amount: "99.90", currency: "USD" } })');
      assert.deepEqual(page.events()[1].revenue, { amount: '99.90', currency: 'USD' });
    });

    test('without props or revenue, neither key is sent', () => {
      const page = open();
      page.run('beacon("Signup")');
      assert.deepEqual(Object.keys(page.events()[1]).sort(), ['name', 'referrer', 'screen_width', 'url']);
    });

    test('custom events are sent on a page where the page view was already sent', () => {
      const page = open();
      page.run('beacon("A"); beacon("A")');
      assert.deepEqual(page.names(), ['pageview', 'A', 'A']);
    });
  });

  describe(`${label}: outbound links (data-outbound)`, () => {
    const outbound = { attributes: { 'data-outbound': '' } };

    test('a click on a link to another host sends "Outbound Link: Click" with the link URL', () => {
      const page = open(outbound);
      const link = page.add('a', { href: 'https://other.example/path/page?ref=me#top' });
      page.click(page.add('span', {}, link));   // the click lands on a child of the link
      assert.deepEqual(page.events()[1], {
        name: 'Outbound Link: Click',
        url: 'https://example.com/page',
        referrer: null,
        screen_width: 1280,
        props: { url: 'https://other.example/path/page' },
      });
    });

    test('links on the same host, non-http links and non-links send nothing', () => {
      const page = open(outbound);
      page.click(page.add('a', { href: '/pricing' }));
      page.click(page.add('a', { href: 'https://example.com/about' }));
      page.click(page.add('a', { href: 'mailto:hello@other.example' }));
      page.click(page.add('a', { href: 'javascript:void(0)' }));
      page.click(page.add('a', {}));
      page.click(page.add('button'));
      assert.deepEqual(page.names(), ['pageview']);
    });

    test('another port is another host', () => {
      const page = open(outbound);
      page.click(page.add('a', { href: 'https://example.com:8443/' }));
      assert.deepEqual(page.names(), ['pageview', 'Outbound Link: Click']);
    });

    test('a middle click counts, a right click does not', () => {
      const page = open(outbound);
      const link = page.add('a', { href: 'https://other.example/' });
      page.click(link, { button: 1 });
      page.click(link, { button: 2 });
      assert.deepEqual(page.names(), ['pageview', 'Outbound Link: Click']);
    });

    test('without data-outbound nothing is sent', () => {
      const page = open();
      page.click(page.add('a', { href: 'https://other.example/' }));
      assert.deepEqual(page.names(), ['pageview']);
    });

    test('a click dispatched on the document itself is ignored', () => {
      const page = open(outbound);
      page.document.dispatchEvent({ type: 'click', target: page.document, button: 0 });
      assert.deepEqual(page.names(), ['pageview']);
    });
  });

  describe(`${label}: file downloads (data-downloads)`, () => {
    test('the default extensions send "File Download" with the file URL (no query string)', () => {
      const page = open({ attributes: { 'data-downloads': '' } });
      for (const href of ['/files/report.pdf?token=secret', 'https://cdn.example.net/app.dmg', '/a/b/archive.7z', '/SHEET.XLSX', '/song.mp3']) {
        page.click(page.add('a', { href }));
      }
      assert.deepEqual(page.events().slice(1).map((e) => [e.name, e.props.url]), [
        ['File Download', 'https://example.com/files/report.pdf'],
        ['File Download', 'https://cdn.example.net/app.dmg'],
        ['File Download', 'https://example.com/a/b/archive.7z'],
        ['File Download', 'https://example.com/SHEET.XLSX'],
        ['File Download', 'https://example.com/song.mp3'],
      ]);
    });

    test('the default list has every documented extension, and pages are not downloads', () => {
      const page = open({ attributes: { 'data-downloads': '' } });
      const extensions = 'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg,iso,msi'.split(',');
      for (const ext of extensions) page.click(page.add('a', { href: `/file.${ext}` }));
      for (const href of ['/page.html', '/pdf', '/file.pdfx', '/file.gzip', '/docs/']) page.click(page.add('a', { href }));
      assert.equal(page.sent.length, 1 + extensions.length);
    });

    test('data-downloads="pdf, zip" replaces the list', () => {
      const page = open({ attributes: { 'data-downloads': 'pdf, zip' } });
      for (const href of ['/a.pdf', '/b.zip', '/c.docx', '/d.mp3']) page.click(page.add('a', { href }));
      assert.deepEqual(page.events().slice(1).map((e) => e.props.url), ['https://example.com/a.pdf', 'https://example.com/b.zip']);
    });

    test('a download on another host is a download, not an outbound link', () => {
      const page = open({ attributes: { 'data-downloads': '', 'data-outbound': '' } });
      page.click(page.add('a', { href: 'https://files.other.example/setup.exe' }));
      page.click(page.add('a', { href: 'https://other.example/' }));
      assert.deepEqual(page.names(), ['pageview', 'File Download', 'Outbound Link: Click']);
    });

    test('without data-downloads nothing is sent', () => {
      const page = open();
      page.click(page.add('a', { href: '/report.pdf' }));
      assert.deepEqual(page.names(), ['pageview']);
    });
  });

  describe(`${label}: 404 (data-404)`, () => {
    test('window.beaconIs404 = true sends the page view and a "404" event with the path', () => {
      const page = open({ url: 'https://example.com/missing/page?q=1', attributes: { 'data-404': '' } }, 'window.beaconIs404 = true');
      assert.deepEqual(page.names(), ['pageview', '404']);
      assert.deepEqual(page.events()[1].props, { path: '/missing/page' });
      assert.equal(page.events()[1].url, 'https://example.com/missing/page?q=1');
    });

    test('<meta name="beacon-404"> does the same', () => {
      const page = createPage({ url: 'https://example.com/gone', attributes: { 'data-404': '' } });
      page.add('meta', { name: 'beacon-404', content: '' }, page.document.head);
      page.load(file);
      assert.deepEqual(page.events().map((e) => [e.name, e.props?.path]), [['pageview', undefined], ['404', '/gone']]);
    });

    test('without a marker there is no 404 event', () => {
      const page = createPage({ attributes: { 'data-404': '' } });
      page.add('meta', { name: 'description', content: 'x' }, page.document.head);
      page.load(file);
      assert.deepEqual(page.names(), ['pageview']);
    });

    test('without data-404 the marker is ignored', () => {
      assert.deepEqual(open({}, 'window.beaconIs404 = true').names(), ['pageview']);
    });
  });

  describe(`${label}: sending`, () => {
    test('uses navigator.sendBeacon with the JSON as a text body', () => {
      const page = open();
      assert.equal(page.sent[0].via, 'sendBeacon');
      assert.equal(typeof page.sent[0].body, 'string');
    });

    test('falls back to fetch with keepalive and no credentials when sendBeacon is missing', () => {
      const page = open({ sendBeacon: 'missing' });
      assert.equal(page.sent.length, 1);
      const [{ via, url, init }] = page.sent;
      assert.equal(via, 'fetch');
      assert.equal(url, 'https://example.com/beacon/event');
      assert.equal(init.method, 'POST');
      assert.equal(init.keepalive, true);
      assert.equal(init.credentials, 'omit');
      assert.equal(JSON.parse(init.body).name, 'pageview');
    });

    test('falls back to fetch when sendBeacon refuses (returns false)', () => {
      const page = open({ sendBeacon: false });
      assert.deepEqual(page.sent.map((s) => s.via), ['sendBeacon', 'fetch']);
      assert.equal(page.sent[0].body, page.sent[1].body);
    });

    test('the callback runs at once after sendBeacon', () => {
      const page = open();
      page.run('var done = 0; beacon("A", { callback: () => done++ })');
      assert.equal(page.window.done, 1);
    });

    test('the callback runs after fetch resolves', async () => {
      const page = open({ sendBeacon: 'missing' });
      page.run('var done = 0; beacon("A", { callback: () => done++ })');
      assert.equal(page.window.done, 0);
      await settle();
      assert.equal(page.window.done, 1);
    });

    test('the callback runs after fetch rejects, and nothing is left unhandled', async () => {
      const page = open({ sendBeacon: 'missing', fetchFails: true });
      page.run('var done = 0; beacon("A", { callback: () => done++ })');
      await settle();
      assert.equal(page.window.done, 1);
    });

    test('a failing fetch without a callback does not reject unhandled', async () => {
      const unhandled = [];
      const listener = (reason) => unhandled.push(reason);
      process.on('unhandledRejection', listener);
      try {
        open({ sendBeacon: 'missing', fetchFails: true });
        await settle();
        await settle();
      } finally {
        process.off('unhandledRejection', listener);
      }
      assert.deepEqual(unhandled, []);
    });
  });

  describe(`${label}: privacy`, () => {
    test('never touches cookies or storage, with every feature on', async () => {
      const page = createPage({ url: 'https://example.com/app#/a', attributes: ALL_FEATURES, sendBeacon: false });
      page.run(`${STUB}; beacon("Early", { props: { a: "1" } })`);
      page.load(file);
      page.run('beacon("Signup", { props: { plan: "pro" }, revenue: { amount: 1, currency: "EUR" }, callback() {} })');
      page.history.pushState(null, '', '/b');
      page.location.hash = '#/c';
      page.history.back();
      page.click(page.add('a', { href: 'https://other.example/' }));
      page.click(page.add('a', { href: '/x.pdf' }));
      await settle();
      assert.deepEqual(page.storageTouches, []);
      assert.ok(page.sent.length > 5);
    });

    test('what is sent is only the documented fields', () => {
      const page = open({ attributes: ALL_FEATURES, referrer: 'https://r.example/' });
      page.run('beacon("Purchase", { props: { a: "1" }, revenue: { amount: 5, currency: "EUR" } })');
      for (const event of page.events()) {
        for (const key of Object.keys(event)) {
          assert.ok(['name', 'url', 'referrer', 'screen_width', 'domain', 'props', 'revenue'].includes(key), key);
        }
      }
    });
  });

  describe(`${label}: automation and prerendering`, () => {
    test('navigator.webdriver: nothing is sent, callbacks still run', () => {
      const page = open({ navigator: { webdriver: true } }, `${STUB}; var done = []; beacon("Q", { callback: () => done.push("Q") })`);
      page.run('beacon("A", { callback: () => done.push("A") })');
      page.history.pushState(null, '', '/next');
      page.click(page.add('a', { href: 'https://other.example/' }));
      assert.equal(page.sent.length, 0);
      assert.deepEqual([...page.window.done], ['Q', 'A']);
    });

    test('a prerendered page sends its page view only when it is shown, once', () => {
      const page = open({ prerendering: true });
      assert.equal(page.sent.length, 0);
      page.activate();
      assert.deepEqual(page.names(), ['pageview']);
      page.document.dispatchEvent({ type: 'visibilitychange' });
      assert.deepEqual(page.names(), ['pageview']);
    });

    test('custom events are not held back by prerendering', () => {
      const page = open({ prerendering: true });
      page.run('beacon("A")');
      assert.deepEqual(page.names(), ['A']);
    });
  });
}
