import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { documentBytes, listDocuments } from '../../harness/apps/content.ts';

describe('document tree (handoff content)', () => {
  it('holds small (< 1 KB), medium (about 100 KB) and large (10 MiB or more) documents', () => {
    const sizes = listDocuments().map((d) => d.size);
    expect(sizes.some((s) => s < 1024)).to.equal(true);
    expect(sizes.some((s) => s > 90_000 && s < 120_000)).to.equal(true);
    expect(sizes.some((s) => s >= 10 * 1024 * 1024)).to.equal(true);
  });

  it('generates every document at exactly its listed size', () => {
    for (const d of listDocuments()) expect(documentBytes(d.path)!.length, d.path).to.equal(d.size);
  });

  it('is deterministic: the same path gives the same bytes (pinned digests)', () => {
    const sha = (p: string) => createHash('sha256').update(documentBytes(p)!).digest('hex');
    expect(sha('/video/clip.bin')).to.equal('bcb9c2023fa9a49b859c745f5ce75db5a92d3ab40a5e50d4644d352e7d8fc213');
    expect(sha('/about.txt')).to.equal(sha('/about.txt'));
  });

  it('gives different bytes for different binary paths', () => {
    expect(Buffer.from(documentBytes('/img/photo-1.jpg')!.subarray(0, 64)).equals(
      Buffer.from(documentBytes('/img/photo-2.jpg')!.subarray(0, 64)),
    )).to.equal(false);
  });

  it('has no document for an unknown path', () => {
    expect(documentBytes('/nope')).to.equal(undefined);
  });
});
