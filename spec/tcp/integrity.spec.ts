import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { MS, SEC } from '../../lib/sim/time.ts';
import { SeededRng } from '../../lib/sim/rng.ts';
import type { SocketCalls } from '../../harness/sockets/syscalls.ts';
import { B, now, tcpWorld } from './support/world.ts';

/** Deterministic pseudo-random bytes for one direction of one seed. */
function payload(size: number, label: string): Uint8Array {
  const rng = new SeededRng(label);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const v = rng.u32();
    out[i] = v & 255;
    out[i + 1] = (v >>> 8) & 255;
    out[i + 2] = (v >>> 16) & 255;
    out[i + 3] = v >>> 24;
  }
  return out;
}

/** Write all of `data` on fd, then shut the sending side down; read everything into a hash. */
function duplex(s: SocketCalls, fd: number, data: Uint8Array, done: (digest: string, bytes: number) => void): void {
  let off = 0;
  const writeMore = (): void => {
    if (off >= data.length) {
      s.shutdown(fd, 1);
      return;
    }
    s.write(fd, data.subarray(off, Math.min(data.length, off + 65536))).onDone((r) => {
      if (r.ret > 0) off += r.ret;
      if (r.ret > 0) writeMore();
    });
  };
  const h = createHash('sha256');
  let got = 0;
  const readMore = (): void => {
    s.read(fd, 1 << 20).onDone((r) => {
      if (r.ret > 0) {
        h.update(r.data!);
        got += r.ret;
        return readMore();
      }
      done(h.digest("hex"), got);
    });
  };
  writeMore();
  readMore();
}

const SIZE = Number(process.env.TCP_INTEGRITY_BYTES ?? 10 * 1024 * 1024);
const SEEDS = Number(process.env.TCP_INTEGRITY_SEEDS ?? 20);

describe('tcp end-to-end integrity under faults (whole stack)', function () {
  this.timeout(600_000);
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`moves ${SIZE >> 20} MB each way intact under 5% loss, 5% reordering, 1% duplication, 1% corruption (seed ${seed})`, () => {
      const t = tcpWorld({ latency: 2 * MS, bandwidth: 1e9, queuePackets: 1000 }, {}, seed);
      t.w.link('a', 'net').setFaults({ loss: 0.05, reorder: 0.05, reorderDelay: 3 * MS, duplicate: 0.01, corrupt: 0.01 });
      const lfd = now(t.sb.socket()).ret;
      now(t.sb.bind(lfd, { addr: B, port: 80 }));
      now(t.sb.listen(lfd, 4));
      const cfd = now(t.sa.socket()).ret;
      const conn = t.sa.connect(cfd, { addr: B, port: 80 });
      const acc = t.sb.accept(lfd);
      t.w.runFor(30 * SEC);
      expect(now(conn).ret).to.equal(0);
      const sfd = now(acc).ret;
      const up = payload(SIZE, `${seed}/up`);
      const down = payload(SIZE, `${seed}/down`);
      const want = { up: createHash('sha256').update(up).digest('hex'), down: createHash('sha256').update(down).digest('hex') };
      const got: { up?: string; down?: string; upBytes?: number; downBytes?: number } = {};
      duplex(t.sa, cfd, up, (d, n) => ((got.down = d), (got.downBytes = n)));
      duplex(t.sb, sfd, down, (d, n) => ((got.up = d), (got.upBytes = n)));
      for (let i = 0; i < 36_000 && (got.up === undefined || got.down === undefined); i++) t.w.runFor(100 * MS);
      expect(got.upBytes).to.equal(SIZE);
      expect(got.downBytes).to.equal(SIZE);
      expect(got.up).to.equal(want.up);
      expect(got.down).to.equal(want.down);
    });
  }
});
