import { expect } from 'chai';
import fc from 'fast-check';
import { HeadParser, RequestBoundaries } from '../../modules/btcp/http-head.ts';
import type { BoundaryEvent, HeadOutcome } from '../../modules/btcp/http-head.ts';

const enc = (s: string) => new TextEncoder().encode(s);

function parse(text: string | Uint8Array, limits?: { maxHeadBytes: number; maxHeaders: number }): HeadOutcome {
  return new HeadParser(limits).push(typeof text === 'string' ? enc(text) : text);
}

function complete(text: string) {
  const r = parse(text);
  if (r.kind !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(r)}`);
  return r;
}

function reason(text: string | Uint8Array): string {
  const r = parse(text);
  return r.kind === 'bad-request' ? r.reason : r.kind;
}

const GET = 'GET /img/a.png?x=1 HTTP/1.1\r\nHost: WWW.Example.com\r\nAccept: */*\r\n\r\n';

describe('handoff: HTTP request head', () => {
  describe('a complete head', () => {
    it('gives method, target, path, version, Host and headers once the empty line arrives', () => {
      const r = complete(GET);
      expect(r.head).to.deep.include({
        method: 'GET', target: '/img/a.png?x=1', path: '/img/a.png?x=1', minor: 1, host: 'www.example.com',
        contentLength: null, chunked: false, keepAlive: true, headLength: GET.length,
      });
      expect(r.head.headers).to.deep.equal([{ name: 'host', value: 'WWW.Example.com' }, { name: 'accept', value: '*/*' }]);
      expect(r.consumed).to.equal(GET.length);
    });

    it('says where the body starts when the head and the body share a segment', () => {
      const head = 'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n';
      const r = new HeadParser().push(enc(`${head}hello`));
      if (r.kind !== 'complete') throw new Error(r.kind);
      expect(r.consumed).to.equal(head.length);
      expect(r.head.headLength).to.equal(head.length);
      expect(r.head.contentLength).to.equal(5);
    });

    it('finds the same head wherever the segments split it (property)', () => {
      const want = complete(GET).head;
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: GET.length }), { maxLength: 6 }), (cuts) => {
          const bytes = enc(GET);
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const p = new HeadParser();
          let from = 0;
          let r: HeadOutcome = { kind: 'incomplete' };
          for (const c of [...points, bytes.length]) {
            r = p.push(bytes.subarray(from, c));
            if (c < bytes.length) expect(r.kind).to.equal('incomplete');
            from = c;
          }
          expect(r.kind).to.equal('complete');
          if (r.kind === 'complete') expect(r.head).to.deep.equal(want);
        }),
      );
    });

    it('stays incomplete until the empty line', () => {
      const p = new HeadParser();
      expect(p.push(enc('GET / HTTP/1.1\r\nHost: a\r\n')).kind).to.equal('incomplete');
      expect(p.push(enc('\r')).kind).to.equal('incomplete');
      expect(p.push(enc('\n')).kind).to.equal('complete');
    });

    it('keeps answering its final outcome, consuming nothing, until reset', () => {
      const p = new HeadParser();
      const first = p.push(enc(GET));
      expect(p.push(enc('GET /other HTTP/1.1\r\n\r\n'))).to.equal(first);
      p.reset();
      expect(p.push(enc('GET /b HTTP/1.0\r\n\r\n')).kind).to.equal('complete');
    });

    it('keeps HTTP/1.1 connections alive unless Connection: close, HTTP/1.0 only with keep-alive', () => {
      expect(complete('GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, close\r\n\r\n').head.keepAlive).to.equal(false);
      expect(complete('GET / HTTP/1.0\r\n\r\n').head.keepAlive).to.equal(false);
      expect(complete('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n').head.keepAlive).to.equal(true);
    });

    it('treats HTTP/1.2..1.9 as 1.1 (RFC 9110 §2.5)', () => {
      expect(complete('GET / HTTP/1.7\r\nHost: a\r\n\r\n').head.minor).to.equal(1);
    });

    it('takes path and host from an absolute-form target, over the Host field', () => {
      const r = complete('GET http://user@Shop.example:8080?q=1 HTTP/1.1\r\nHost: other\r\n\r\n');
      expect(r.head.path).to.equal('/?q=1');
      expect(r.head.host).to.equal('shop.example:8080');
    });

    it('accepts OPTIONS * and CONNECT host:port', () => {
      expect(complete('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n').head.path).to.equal('*');
      expect(complete('CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n').head.host).to.equal('a.example:443');
    });

    it('skips empty lines before the request line and accepts bare LF line ends (RFC 9112 §2.2)', () => {
      const text = '\r\n\nGET /x HTTP/1.1\nHost: a\n\n';
      const r = complete(text);
      expect(r.head.path).to.equal('/x');
      expect(r.head.headLength).to.equal(text.length);
    });

    it('trims field values and keeps bytes above 0x7f', () => {
      const r = parse(new Uint8Array([...enc('GET / HTTP/1.1\r\nHost: a\r\nX-Name: \t caf'), 0xe9, ...enc(' \r\n\r\n')]));
      if (r.kind !== 'complete') throw new Error(r.kind);
      expect(r.head.headers[1]).to.deep.equal({ name: 'x-name', value: 'café' });
    });

    it('reports a chunked body, and a Content-Length repeated with one value', () => {
      expect(complete('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n').head.chunked).to.equal(true);
      expect(complete('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n\r\n').head.contentLength).to.equal(7);
    });
  });

  describe('bad requests, each with its reason', () => {
    const cases: Array<[string, string]> = [
      ['bad-request-line', 'GET /\r\n\r\n'],
      ['bad-request-line', 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['bad-method', 'G(T / HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['bad-target', 'GET /a\x01b HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['bad-target', 'GET a/b HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['bad-target', 'GET * HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['unsupported-version', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['unsupported-version', 'GET / HTTP/1.10\r\nHost: a\r\n\r\n'],
      ['bare-cr', 'GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n'],
      ['bad-header-name', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
      ['bad-header-name', 'GET / HTTP/1.1\r\nHost a\r\n\r\n'],
      ['bad-header-value', 'GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n'],
      ['obsolete-line-folding', 'GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n'],
      ['missing-host', 'GET / HTTP/1.1\r\n\r\n'],
      ['duplicate-host', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
      ['bad-content-length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'],
      ['bad-content-length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'],
      ['bad-transfer-encoding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n'],
      ['bad-transfer-encoding', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n'],
      ['bad-transfer-encoding', 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n'],
      ['te-and-content-length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ];
    for (const [why, text] of cases) {
      it(`refuses ${JSON.stringify(text.split(/\r?\n/).slice(0, 3).join('⏎'))} as '${why}'`, () => {
        expect(reason(text)).to.equal(why);
      });
    }

    it('refuses a TLS ClientHello at its first byte, without waiting for a line end', () => {
      const p = new HeadParser();
      const r = p.push(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]));
      expect(r.kind === 'bad-request' && r.reason).to.equal('bad-method');
    });

    it('refuses a bare CR as soon as the byte after it arrives', () => {
      expect(new HeadParser().push(enc('GET / HT\rTP')).kind).to.equal('bad-request');
    });

    it('says where the fault is, from the first byte of the request', () => {
      const r = parse('GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n');
      expect(r.kind === 'bad-request' && r.at).to.equal('GET / HTTP/1.1\r\nHost: a\r\nX: a'.length);
    });
  });

  describe('bounds', () => {
    it('is too large when the head would pass maxHeadBytes, and holds no more than that', () => {
      const p = new HeadParser({ maxHeadBytes: 64, maxHeaders: 10 });
      let r: HeadOutcome = { kind: 'incomplete' };
      for (let i = 0; i < 20 && r.kind === 'incomplete'; i++) r = p.push(enc(i === 0 ? 'GET / HTTP/1.1\r\n' : 'X-Pad: 123\r\n'));
      expect(r).to.deep.equal({ kind: 'too-large', limit: 'head-bytes', max: 64 });
      expect(p.buffered).to.equal(64);
    });

    it('accepts a head of exactly maxHeadBytes', () => {
      const text = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';
      expect(parse(text, { maxHeadBytes: text.length, maxHeaders: 10 }).kind).to.equal('complete');
      expect(parse(text, { maxHeadBytes: text.length - 1, maxHeaders: 10 }).kind).to.equal('too-large');
    });

    it('is too large past maxHeaders fields', () => {
      const r = parse(`GET / HTTP/1.1\r\n${'A: 1\r\n'.repeat(4)}\r\n`, { maxHeadBytes: 1000, maxHeaders: 3 });
      expect(r).to.deep.equal({ kind: 'too-large', limit: 'header-count', max: 3 });
    });

    it('never throws, whatever the bytes and however they are cut (fuzz)', () => {
      const alphabet = fc.constantFrom(...enc('GET POST / HTTP/1.1\r\n:Host: a,Content-Length0 5chunked Transfer-Encoding \t\x00\x7f\xe9'));
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.array(alphabet, { maxLength: 300 }).map((a) => new Uint8Array(a))), fc.nat(300), (bytes, cut) => {
          const p = new HeadParser({ maxHeadBytes: 128, maxHeaders: 8 });
          p.push(bytes.subarray(0, cut));
          const r = p.push(bytes.subarray(cut));
          expect(['incomplete', 'complete', 'bad-request', 'too-large']).to.include(r.kind);
          expect(p.buffered).to.be.at.most(128);
        }),
        { numRuns: 2000 },
      );
    });
  });

  describe('pipelined requests on a keep-alive connection', () => {
    function feed(parts: string[], limits?: { maxHeadBytes: number; maxHeaders: number }): { events: BoundaryEvent[]; tracker: RequestBoundaries } {
      const tracker = new RequestBoundaries(limits);
      const events = parts.flatMap((p) => tracker.push(enc(p)));
      return { events, tracker };
    }
    const summary = (events: BoundaryEvent[]) =>
      events.map((e) => (e.kind === 'request' ? `req ${e.head.method} ${e.head.path} @${e.start}` : e.kind === 'end' ? `end ${e.start}-${e.end}` : `${e.kind} ${'reason' in e ? e.reason : e.limit} @${e.at}`));

    const a = 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n';
    const b = 'POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody';
    const c = 'PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Sum: 1\r\n\r\n';
    const d = 'GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
    const all = a + b + c + d;

    it('finds every request and where it ends: no body, Content-Length, chunked with extensions and trailer', () => {
      const { events, tracker } = feed([all]);
      const ends = [a.length, a.length + b.length, a.length + b.length + c.length, all.length];
      expect(summary(events)).to.deep.equal([
        'req GET /a @0', `end 0-${ends[0]}`,
        `req POST /b @${ends[0]}`, `end ${ends[0]}-${ends[1]}`,
        `req PUT /c @${ends[1]}`, `end ${ends[1]}-${ends[2]}`,
        `req GET /d @${ends[2]}`, `end ${ends[2]}-${ends[3]}`,
      ]);
      expect(tracker.counts).to.deep.equal({ requests: 4, ended: 4 });
      expect(tracker.state).to.equal('closed');
    });

    it('finds the same boundaries when the stream is cut at every byte boundary', () => {
      const want = summary(feed([all]).events);
      for (let cut = 0; cut <= all.length; cut++) {
        expect(summary(feed([all.slice(0, cut), all.slice(cut)]).events), `cut ${cut}`).to.deep.equal(want);
      }
    });

    it('finds the same boundaries fed one byte at a time', () => {
      expect(summary(feed([...all]).events)).to.deep.equal(summary(feed([all]).events));
    });

    it('ignores bytes after a request that asked to close, but counts them as seen', () => {
      const { events, tracker } = feed([d + a]);
      expect(tracker.counts.requests).to.equal(1);
      expect(events.filter((e) => e.kind === 'request')).to.have.length(1);
      expect(tracker.position).to.equal((d + a).length);
    });

    it('ends an HTTP/1.0 connection after its request unless it asked for keep-alive', () => {
      expect(feed(['GET / HTTP/1.0\r\n\r\n', a]).tracker.counts.requests).to.equal(1);
      expect(feed(['GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n', a]).tracker.counts.requests).to.equal(2);
    });

    it('skips the stray CRLF some clients send after a body (RFC 9112 §2.2)', () => {
      const { tracker } = feed([b + '\r\n' + a]);
      expect(tracker.counts).to.deep.equal({ requests: 2, ended: 2 });
    });

    it('stops at a bad request in the middle of the pipeline and says where', () => {
      const { events, tracker } = feed([a + 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' + a]);
      expect(summary(events).at(-1)).to.equal(`bad-request duplicate-host @${a.length}`);
      expect(tracker.state).to.equal('failed');
      expect(tracker.counts.requests).to.equal(1);
    });

    const chunkCases: Array<[string, string]> = [
      ['a size that is not hex', 'zz\r\n'],
      ['a size too large to count', '10000000000000\r\n'],
      ['data not followed by CRLF', '3\r\nabcX\r\n'],
    ];
    for (const [what, body] of chunkCases) {
      it(`refuses a chunked body with ${what} ('bad-chunk')`, () => {
        const { events } = feed(['POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n' + body]);
        expect(summary(events).at(-1)).to.match(/^bad-request bad-chunk/);
      });
    }

    it('bounds chunk-size lines and trailers', () => {
      const te = 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n';
      expect(summary(feed([te + '1;' + 'x'.repeat(2000)]).events).at(-1)).to.match(/^bad-request bad-chunk/);
      const limits = { maxHeadBytes: 200, maxHeaders: 5 };
      expect(summary(feed([te + '0\r\n' + 'T: 1\r\n'.repeat(6) + '\r\n'], limits).events).at(-1)).to.match(/^too-large header-count/);
      expect(summary(feed([te + '0\r\n' + `T: ${'x'.repeat(300)}\r\n\r\n`], limits).events).at(-1)).to.match(/^too-large head-bytes/);
    });

    it('counts large bodies without holding them', () => {
      const tracker = new RequestBoundaries();
      tracker.push(enc('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n'));
      const block = new Uint8Array(1 << 16);
      let events: BoundaryEvent[] = [];
      for (let sent = 0; sent < 10_000_000; sent += block.length) events = tracker.push(block.subarray(0, Math.min(block.length, 10_000_000 - sent)));
      expect(events.map((e) => e.kind)).to.deep.equal(['end']);
    });

    it('never throws on any byte stream (fuzz)', () => {
      const alphabet = fc.constantFrom(...enc('GET POST / HTTP/1.1\r\n:Host: a,Content-Length: 0 5chunked Transfer-Encoding: ;\t\x00 0 a F'));
      fc.assert(
        fc.property(fc.array(fc.array(alphabet, { maxLength: 80 }).map((x) => new Uint8Array(x)), { maxLength: 5 }), (chunks) => {
          const t = new RequestBoundaries({ maxHeadBytes: 256, maxHeaders: 8 });
          let total = 0;
          for (const ch of chunks) {
            t.push(ch);
            total += ch.length;
          }
          expect(t.position).to.equal(total);
        }),
        { numRuns: 1000 },
      );
    });
  });
});
