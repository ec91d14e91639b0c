/**
 * TCP options, per profile: what our SYN/ACK carries for each combination the peer's SYN
 * offers (RFC 9293 3.7.1 MSS, RFC 2018 SACK-permitted, RFC 7323 timestamps and window scale:
 * an option goes back only when the peer sent it, MSS always), laid out as each stack writes
 * it (Linux tcp_options_write; FreeBSD tcp_addoptions with its NOP alignment and EOL padding);
 * what our SYN carries as the sysctls switch options off; and the segment size each peer MSS
 * gives.
 */
import { HEADER, line, type GeneratedScript, type ProfileFacts } from './profile.ts';

interface Offer {
  name: string;
  mss: boolean;
  sack: boolean;
  ts: boolean;
  ws: boolean;
}

const OFFERS: Offer[] = [
  { name: 'none', mss: false, sack: false, ts: false, ws: false },
  { name: 'mss', mss: true, sack: false, ts: false, ws: false },
  { name: 'mss-sack', mss: true, sack: true, ts: false, ws: false },
  { name: 'mss-ts', mss: true, sack: false, ts: true, ws: false },
  { name: 'mss-wscale', mss: true, sack: false, ts: false, ws: true },
  { name: 'mss-sack-ts', mss: true, sack: true, ts: true, ws: false },
  { name: 'mss-sack-wscale', mss: true, sack: true, ts: false, ws: true },
  { name: 'mss-ts-wscale', mss: true, sack: false, ts: true, ws: true },
  { name: 'all', mss: true, sack: true, ts: true, ws: true },
];

/** The peer's SYN options, in Linux's layout. */
function peerOptions(o: Offer): string {
  const parts: string[] = [];
  if (o.mss) parts.push('mss 1460');
  if (o.sack && o.ts) parts.push('sackOK', 'TS val 100 ecr 0');
  else if (o.ts) parts.push('nop', 'nop', 'TS val 100 ecr 0');
  else if (o.sack) parts.push('sackOK');
  if (o.ws) parts.push('nop', 'wscale 7');
  return parts.length ? ` <${parts.join(',')}>` : '';
}

/** Linux tcp_options_write: MSS; SACK-permitted and TS share a word; NOPs pad the others. */
function linuxLayout(mss: number, sack: boolean, ts: string | null, ws: number | null): string {
  const parts = [`mss ${mss}`];
  if (ts !== null) parts.push(...(sack ? ['sackOK'] : ['nop', 'nop']), ts);
  else if (sack) parts.push('nop', 'nop', 'sackOK');
  if (ws !== null) parts.push('nop', `wscale ${ws}`);
  return `<${parts.join(',')}>`;
}

/**
 * FreeBSD tcp_addoptions: MSS at a word boundary, window scale at an odd offset, SACK-permitted
 * at an even one, timestamps at 4n+2, NOPs to get there; an EOL and zeros pad the end to a word.
 */
function freebsdLayout(mss: number, sack: boolean, ts: string | null, ws: number | null): string {
  const parts: string[] = [];
  let len = 0;
  const pad = (ok: (n: number) => boolean): void => {
    while (!ok(len)) {
      parts.push('nop');
      len++;
    }
  };
  pad((n) => n % 4 === 0);
  parts.push(`mss ${mss}`);
  len += 4;
  if (ws !== null) {
    pad((n) => n % 2 === 1);
    parts.push(`wscale ${ws}`);
    len += 3;
  }
  if (sack) {
    pad((n) => n % 2 === 0);
    parts.push('sackOK');
    len += 2;
  }
  if (ts !== null) {
    pad((n) => n % 4 === 2);
    parts.push(ts);
    len += 10;
  }
  while (len % 4 !== 0) {
    parts.push('eol');
    len++;
  }
  return `<${parts.join(',')}>`;
}

function layout(p: ProfileFacts, mss: number, sack: boolean, ts: string | null, ws: number | null): string {
  return p.name === 'linux' ? linuxLayout(mss, sack, ts, ws) : freebsdLayout(mss, sack, ts, ws);
}

const SHIFT: Record<ProfileFacts['name'], number> = { linux: 7, freebsd: 6 };

function file(path: string, comment: string[], body: string[]): GeneratedScript {
  return { path, text: [HEADER, ...comment.map((c) => `// ${c}`), ...body, ''].join('\n') };
}

/** Our SYN/ACK for each offer, then the options on the first data segment. */
export function synAckOptions(p: ProfileFacts): GeneratedScript[] {
  return OFFERS.map((o) => {
    const synack = layout(p, 1460, o.sack, o.ts ? 'TS val 1000 ecr 100' : null, o.ws ? SHIFT[p.name] : null);
    const data = o.ts ? ' <nop,nop,TS val 1100 ecr 200>' : '';
    const offered = [o.mss && 'MSS', o.sack && 'SACK-permitted', o.ts && 'timestamps', o.ws && 'window scale'].filter(Boolean).join(', ') || 'no options';
    return file(
      `${p.name}/options/synack-${o.name}.pkt`,
      [
        `The peer's SYN offers ${offered}. Our SYN/ACK always carries our MSS and only the other`,
        'options the peer offered (RFC 2018 2, RFC 7323 2.2 and 3.2), in this stack\'s layout; the TS',
        'echo reply is the peer\'s TS val. Data segments carry timestamps only when both agreed.',
      ],
      [
        '--check_ts_ecr',
        line('0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'),
        line('+0', 'bind(3, ..., ...) = 0'),
        line('+0', 'listen(3, 1) = 0'),
        line('+.1', `< S 0:0(0) win 32792${peerOptions(o)}`),
        line('+0', `> S. 0:0(0) ack 1 ${synack}`),
        line('+.1', `< . 1:1(0) ack 1 win 257${o.ts ? ' <nop,nop,TS val 200 ecr 1000>' : ''}`),
        line('+0', 'accept(3, ..., ...) = 4'),
        line('+0', 'write(4, ..., 10) = 10'),
        line('+0', `> P. 1:11(10) ack 1${data}`),
        line('+.1', `< . 1:1(0) ack 11 win 257${o.ts ? ' <nop,nop,TS val 300 ecr 1100>' : ''}`),
      ],
    );
  });
}

interface SynVariant {
  name: string;
  sysctls: string[];
  sack: boolean;
  ts: boolean;
  ws: boolean;
  what: string;
}

const SYN_VARIANTS: Record<ProfileFacts['name'], SynVariant[]> = {
  linux: [
    { name: 'default', sysctls: [], sack: true, ts: true, ws: true, what: 'the defaults' },
    { name: 'no-sack', sysctls: ['net.ipv4.tcp_sack=0'], sack: false, ts: true, ws: true, what: 'net.ipv4.tcp_sack=0' },
    { name: 'no-timestamps', sysctls: ['net.ipv4.tcp_timestamps=0'], sack: true, ts: false, ws: true, what: 'net.ipv4.tcp_timestamps=0' },
    { name: 'no-wscale', sysctls: ['net.ipv4.tcp_window_scaling=0'], sack: true, ts: true, ws: false, what: 'net.ipv4.tcp_window_scaling=0' },
    {
      name: 'mss-only',
      sysctls: ['net.ipv4.tcp_sack=0', 'net.ipv4.tcp_timestamps=0', 'net.ipv4.tcp_window_scaling=0'],
      sack: false,
      ts: false,
      ws: false,
      what: 'SACK, timestamps and window scaling all off',
    },
  ],
  freebsd: [
    { name: 'default', sysctls: [], sack: true, ts: true, ws: true, what: 'the defaults' },
    { name: 'no-sack', sysctls: ['net.inet.tcp.sack.enable=0'], sack: false, ts: true, ws: true, what: 'net.inet.tcp.sack.enable=0' },
    { name: 'no-rfc1323', sysctls: ['net.inet.tcp.rfc1323=0'], sack: true, ts: false, ws: false, what: 'net.inet.tcp.rfc1323=0 (neither timestamps nor window scaling)' },
    { name: 'rfc1323-wscale-only', sysctls: ['net.inet.tcp.rfc1323=2'], sack: true, ts: false, ws: true, what: 'net.inet.tcp.rfc1323=2 (window scaling only)' },
    { name: 'rfc1323-ts-only', sysctls: ['net.inet.tcp.rfc1323=3'], sack: true, ts: true, ws: false, what: 'net.inet.tcp.rfc1323=3 (timestamps only)' },
    { name: 'mss-only', sysctls: ['net.inet.tcp.sack.enable=0', 'net.inet.tcp.rfc1323=0'], sack: false, ts: false, ws: false, what: 'SACK, timestamps and window scaling all off' },
  ],
};

/** Our SYN on an active open, as sysctls switch options off. */
export function synOptions(p: ProfileFacts): GeneratedScript[] {
  return SYN_VARIANTS[p.name].map((v) => {
    const syn = layout(p, 1460, v.sack, v.ts ? 'TS val 100 ecr 0' : null, v.ws ? SHIFT[p.name] : null);
    const reply: Offer = { name: '', mss: true, sack: v.sack, ts: v.ts, ws: v.ws };
    const body = v.sysctls.map((s, i) => line(i === 0 ? '0' : '+0', `\`sysctl -w ${s}\``));
    body.push(
      line(body.length ? '+0' : '0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'),
      line('+0', 'fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0'),
      line('+0', 'connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)'),
      line('+0', `> S 0:0(0) ${syn}`),
      line('+.1', `< S. 0:0(0) ack 1 win 32792${peerOptions(reply).replace('TS val 100 ecr 0', 'TS val 700 ecr 100')}`),
      line('+0', `> . 1:1(0) ack 1${v.ts ? ' <nop,nop,TS val 200 ecr 700>' : ''}`),
      line('+0', 'getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0'),
    );
    return file(`${p.name}/options/syn-${v.name}.pkt`, [`With ${v.what}, our SYN offers these options, in this stack's layout (RFC 9293 3.7.1,`, 'RFC 2018 2, RFC 7323), and the handshake completes with what the peer agreed to.'], ['--check_ts_ecr', ...body]);
  });
}

interface MssCase {
  name: string;
  /** The peer's MSS option, or null for none. */
  offer: number | null;
  what: string;
  /** Our send MSS, per profile. */
  mss: (p: ProfileFacts) => number;
  why: (p: ProfileFacts) => string;
}

const MSS_CASES: MssCase[] = [
  { name: 'peer-536', offer: 536, what: 'MSS 536', mss: () => 536, why: () => 'We send segments no larger than the MSS the peer announced (RFC 9293 3.7.1).' },
  { name: 'peer-1000', offer: 1000, what: 'MSS 1000', mss: () => 1000, why: () => 'We send segments no larger than the MSS the peer announced (RFC 9293 3.7.1).' },
  { name: 'peer-9000', offer: 9000, what: 'MSS 9000', mss: () => 1460, why: () => 'The peer takes more than our 1500-byte MTU carries: our own limit, 1460, applies (RFC 9293 3.7.1).' },
  { name: 'peer-none', offer: null, what: 'no MSS option', mss: () => 536, why: () => 'Without the option we assume 536 (RFC 9293 3.7.1, RFC 1122 4.2.2.6).' },
  {
    name: 'peer-100',
    offer: 100,
    what: 'MSS 100',
    mss: (p) => (p.name === 'linux' ? 100 : 216),
    why: (p) =>
      p.name === 'linux'
        ? 'Linux honours MSS values down to net.ipv4.tcp_min_snd_mss (48).'
        : 'FreeBSD raises an MSS below net.inet.tcp.minmss (216) to that floor (tcp_mss_update).',
  },
];

/** Segment sizes for each MSS the peer announces. */
export function mssFamily(p: ProfileFacts): GeneratedScript[] {
  return MSS_CASES.map((c) => {
    const mss = c.mss(p);
    // At most ten segments: the initial window (RFC 6928) must not be what limits the burst.
    const total = Math.min(1500, mss * 10);
    const body = [
      '--strict_segments',
      line('0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'),
      line('+0', 'bind(3, ..., ...) = 0'),
      line('+0', 'listen(3, 1) = 0'),
      line('+.1', `< S 0:0(0) win 65535${c.offer === null ? '' : ` <mss ${c.offer}>`}`),
      line('+0', '> S. 0:0(0) ack 1 <mss 1460>'),
      line('+.1', '< . 1:1(0) ack 1 win 65535'),
      line('+0', 'accept(3, ..., ...) = 4'),
      line('+0', `write(4, ..., ${total}) = ${total}`),
    ];
    for (let off = 0; off < total; off += mss) {
      const len = Math.min(mss, total - off);
      body.push(line('+0', `> ${off + len === total ? 'P.' : '.'} ${off + 1}:${off + len + 1}(${len}) ack 1`));
    }
    body.push(line('+.1', `< . 1:1(0) ack ${total + 1} win 65535`));
    return file(`${p.name}/options/mss-${c.name}.pkt`, [`The peer's SYN carries ${c.what}. ${c.why(p)}`, 'Only the last segment of the write has PSH.'], body);
  });
}
