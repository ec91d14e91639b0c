/**
 * The state x event matrix for the synchronized states: in each of ESTABLISHED, FIN-WAIT-1,
 * FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK and TIME-WAIT, a RST, a SYN, a bare ACK, data and a
 * FIN arrive at each position of the receive window (outside left, left edge, middle, right
 * edge, outside right), with RFC 5961 on and (FreeBSD's net.inet.tcp.insecure_rst) off.
 *
 * What each profile answers is written down cell by cell below, from RFC 9293 3.10.7.4,
 * RFC 5961 3-5 and the two stacks' input paths (Linux tcp_validate_incoming,
 * tcp_rcv_state_process, tcp_timewait_state_process; FreeBSD tcp_do_segment, tcp_twcheck).
 * Where the stacks differ from the RFC or from each other, the comment in the script says so.
 */
import { HEADER, line, type GeneratedScript, type ProfileFacts, type StateName } from './profile.ts';

interface Setup {
  state: StateName;
  dir: string;
  /** RCV.NXT, SND.NXT and SND.UNA once the state is reached (relative numbers). */
  rcvNxt: number;
  sndNxt: number;
  sndUna: number;
  /** Our FIN is out and unacknowledged: BSD's tcp_output repeats it on every ACK it sends. */
  finOut: boolean;
  /** The peer's FIN has arrived: later text is ignored. */
  peerFin: boolean;
  what: string;
  lines(p: ProfileFacts): string[];
}

export type Position = 'outside-left' | 'left-edge' | 'middle' | 'right-edge' | 'outside-right';
export const POSITIONS: Position[] = ['outside-left', 'left-edge', 'middle', 'right-edge', 'outside-right'];

export function establish(p: ProfileFacts): string[] {
  return [
    line('0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'),
    line('+0', 'bind(3, ..., ...) = 0'),
    line('+0', 'listen(3, 1) = 0'),
    line('+.1', '< S 0:0(0) win 32792 <mss 1460>'),
    line('+0', `> S. 0:0(0) ack 1 win ${p.synAckWindow} <mss 1460>`),
    line('+.1', '< . 1:1(0) ack 1 win 32792'),
    line('+0', 'accept(3, ..., ...) = 4'),
  ];
}

const SHUTDOWN_WR = [line('+0', 'shutdown(4, SHUT_WR) = 0'), line('+0', '> F. 1:1(0) ack 1')];
const PEER_FIN_IN_ESTABLISHED = [line('+.05', '< F. 1:1(0) ack 1 win 32792'), line('*', '> . 1:1(0) ack 2')];

const SETUPS: Setup[] = [
  { state: 'ESTABLISHED', dir: 'established', rcvNxt: 1, sndNxt: 1, sndUna: 1, finOut: false, peerFin: false, what: 'the handshake is done', lines: () => [] },
  {
    state: 'FIN-WAIT-1',
    dir: 'fin-wait-1',
    rcvNxt: 1,
    sndNxt: 2,
    sndUna: 1,
    finOut: true,
    peerFin: false,
    what: 'shutdown(SHUT_WR) sent our FIN, not yet acknowledged',
    lines: () => SHUTDOWN_WR,
  },
  {
    state: 'FIN-WAIT-2',
    dir: 'fin-wait-2',
    rcvNxt: 1,
    sndNxt: 2,
    sndUna: 2,
    finOut: false,
    peerFin: false,
    what: 'our FIN is acknowledged, the peer has not closed',
    lines: () => [...SHUTDOWN_WR, line('+.05', '< . 1:1(0) ack 2 win 32792')],
  },
  {
    state: 'CLOSE-WAIT',
    dir: 'close-wait',
    rcvNxt: 2,
    sndNxt: 1,
    sndUna: 1,
    finOut: false,
    peerFin: true,
    what: 'the peer closed first; we have not',
    lines: () => PEER_FIN_IN_ESTABLISHED,
  },
  {
    state: 'CLOSING',
    dir: 'closing',
    rcvNxt: 2,
    sndNxt: 2,
    sndUna: 1,
    finOut: true,
    peerFin: true,
    what: "both FINs crossed; ours is not yet acknowledged",
    lines: (p) => [...SHUTDOWN_WR, line('+.05', '< F. 1:1(0) ack 1 win 32792'), line('+0', p.name === 'freebsd' ? '> F. 1:1(0) ack 2' : '> . 2:2(0) ack 2')],
  },
  {
    state: 'LAST-ACK',
    dir: 'last-ack',
    rcvNxt: 2,
    sndNxt: 2,
    sndUna: 1,
    finOut: true,
    peerFin: true,
    what: 'the peer closed first, then we did; our FIN is not yet acknowledged',
    lines: () => [...PEER_FIN_IN_ESTABLISHED, line('+.05', 'shutdown(4, SHUT_WR) = 0'), line('+0', '> F. 1:1(0) ack 2')],
  },
  {
    state: 'TIME-WAIT',
    dir: 'time-wait',
    rcvNxt: 2,
    sndNxt: 2,
    sndUna: 2,
    finOut: false,
    peerFin: true,
    what: 'we closed first and the peer followed',
    lines: () => [...SHUTDOWN_WR, line('+.05', '< . 1:1(0) ack 2 win 32792'), line('+.05', '< F. 1:1(0) ack 2 win 32792'), line('+0', '> . 2:2(0) ack 2')],
  },
];

type Event = 'rst' | 'syn' | 'ack' | 'data' | 'fin';

/** What the host does with the event. */
type Outcome =
  /** Nothing goes out; the state stays. */
  | { kind: 'silent' }
  /** An ACK answers (a duplicate ACK through the output path, or a challenge ACK); the state stays. */
  | { kind: 'ack'; challenge: boolean }
  /** The connection is gone, nothing goes out. */
  | { kind: 'reset' }
  /** The data is taken in order and acknowledged. */
  | { kind: 'accepted' }
  /** The FIN is taken: ACK and the next state. */
  | { kind: 'fin'; next: StateName }
  /** TIME-WAIT gives way to a new connection from the same peer (a listener is there). */
  | { kind: 'reopen' };

interface Cell {
  outcome: Outcome;
  why: string;
}

const POS_TEXT: Record<Position, string> = {
  'outside-left': 'SEG.SEQ = RCV.NXT-1, left of the window',
  'left-edge': 'SEG.SEQ = RCV.NXT, the left edge',
  middle: 'SEG.SEQ = RCV.NXT+1000, inside the window',
  'right-edge': 'SEG.SEQ = RCV.NXT+RCV.WND-1, the last sequence number of the window',
  'outside-right': 'SEG.SEQ = RCV.NXT+RCV.WND, right of the window',
};

const SILENT: Outcome = { kind: 'silent' };
const DUPACK: Outcome = { kind: 'ack', challenge: false };
const CHALLENGE: Outcome = { kind: 'ack', challenge: true };
const RESET: Outcome = { kind: 'reset' };

function cell(p: ProfileFacts, s: Setup, ev: Event, pos: Position, insecure: boolean): Cell {
  const linux = p.name === 'linux';
  const tw = s.state === 'TIME-WAIT';
  switch (ev) {
    case 'rst':
      if (tw) {
        if (!linux) return { outcome: SILENT, why: 'FreeBSD drops every RST in TIME-WAIT (tcp_twcheck, RFC 1337).' };
        if (pos === 'left-edge') return { outcome: RESET, why: 'A RST at RCV.NXT ends TIME-WAIT (Linux tcp_timewait_state_process with tcp_rfc1337=0).' };
        return { outcome: SILENT, why: 'Linux ignores a RST in TIME-WAIT unless it is exactly at RCV.NXT; no challenge ACK there.' };
      }
      if (insecure) {
        if (pos === 'left-edge' || pos === 'middle' || pos === 'right-edge') return { outcome: RESET, why: 'RFC 9293 3.10.7.4 without RFC 5961: any RST in the window resets the connection.' };
        return { outcome: SILENT, why: 'Outside the window a RST is dropped silently (RFC 9293 3.10.7.4).' };
      }
      if (pos === 'left-edge') return { outcome: RESET, why: 'RFC 5961 3.2: a RST exactly at RCV.NXT resets the connection.' };
      if (pos === 'outside-left') {
        if (linux && s.peerFin) return { outcome: RESET, why: "Linux also takes RCV.NXT-1 once the peer's FIN is in (tcp_reset_check: the peer may not have seen our ACK of its FIN)." };
        return { outcome: SILENT, why: 'RFC 5961 3.2: a RST left of the window is dropped silently.' };
      }
      if (pos === 'outside-right') {
        if (linux) return { outcome: CHALLENGE, why: "Linux's window test (tcp_sequence) admits a zero-length segment at RCV.NXT+RCV.WND, so the RST is in the window and draws a challenge ACK (RFC 5961 3.2)." };
        return { outcome: SILENT, why: 'RFC 5961 3.2: a RST right of the window is dropped silently.' };
      }
      return { outcome: CHALLENGE, why: 'RFC 5961 3.2: a RST in the window but not at RCV.NXT draws a challenge ACK and changes nothing.' };
    case 'syn':
      if (tw) {
        if (pos === 'outside-left' || pos === 'left-edge') {
          if (linux) return { outcome: DUPACK, why: 'A SYN at or below RCV.NXT cannot start a new incarnation: Linux answers it with an ACK (tcp_timewait_state_process, TCP_TW_ACK).' };
          return { outcome: SILENT, why: 'A SYN at or below RCV.NXT cannot start a new incarnation, and FreeBSD drops a TIME-WAIT segment without ACK (tcp_twcheck).' };
        }
        return { outcome: { kind: 'reopen' }, why: 'A SYN above RCV.NXT may start a new incarnation (RFC 9293 3.10.7.4, TIME-WAIT reuse as in Linux TCP_TW_SYN and FreeBSD tcp_twcheck): TIME-WAIT ends and the listener answers.' };
      }
      return { outcome: CHALLENGE, why: 'RFC 5961 4.2: a SYN in a synchronized state draws a challenge ACK wherever it lies, and the connection stays.' };
    case 'ack':
      if (tw) {
        if (pos === 'left-edge') return { outcome: SILENT, why: 'TIME-WAIT ignores a bare duplicate ACK at RCV.NXT (Linux tcp_timewait_state_process, FreeBSD tcp_twcheck).' };
        return { outcome: DUPACK, why: 'TIME-WAIT answers any other segment with an ACK (Linux TCP_TW_ACK, FreeBSD tcp_twcheck).' };
      }
      if (pos === 'outside-left') return { outcome: DUPACK, why: 'RFC 9293 3.10.7.4: an unacceptable segment draws an ACK.' };
      if (pos === 'outside-right') return { outcome: SILENT, why: 'Both stacks accept a zero-length segment at exactly RCV.NXT+RCV.WND (Linux tcp_sequence, FreeBSD tcp_do_segment trims nothing), a leniency beyond RFC 9293 3.10.7.4; the ACK is processed and nothing is sent.' };
      return { outcome: SILENT, why: 'RFC 9293 3.10.7.4: a zero-length segment in the window is acceptable; its ACK is processed and nothing is sent.' };
    case 'data':
      if (tw) return { outcome: DUPACK, why: 'TIME-WAIT answers data with an ACK (Linux TCP_TW_ACK, FreeBSD tcp_twcheck).' };
      if (pos === 'outside-left') return { outcome: DUPACK, why: 'A byte that was already received (an old duplicate) is not acceptable: it is dropped and an ACK says what is expected (RFC 9293 3.10.7.4).' };
      if (s.peerFin) {
        if (pos === 'outside-right' && !linux) return { outcome: DUPACK, why: 'FreeBSD trims data beyond the window and acknowledges (dropafterack).' };
        return { outcome: SILENT, why: "Text after the peer's FIN is ignored (RFC 9293 3.10.7.4 seventh step); Linux and FreeBSD send nothing for it." };
      }
      if (pos === 'left-edge') return { outcome: { kind: 'accepted' }, why: 'In-order data is delivered and acknowledged (RFC 9293 3.10.7.4 seventh step).' };
      if (pos === 'outside-right') return { outcome: DUPACK, why: 'Data beyond the window is not acceptable: it is dropped and an ACK says what is expected.' };
      return { outcome: DUPACK, why: 'Acceptable data beyond RCV.NXT is queued out of order and an immediate duplicate ACK asks for the missing bytes (RFC 5681 4.2).' };
    case 'fin':
      if (tw) return { outcome: DUPACK, why: 'TIME-WAIT acknowledges a FIN (RFC 9293 3.10.7.4, Linux TCP_TW_ACK, FreeBSD tcp_twcheck).' };
      if (pos === 'outside-left') return { outcome: DUPACK, why: 'A FIN left of the window is an old duplicate: it is dropped and an ACK says what is expected.' };
      if (s.peerFin) return { outcome: SILENT, why: "After the peer's FIN, another FIN at or beyond RCV.NXT is ignored (Linux tcp_rcv_state_process, FreeBSD tcp_do_segment)." };
      if (pos === 'left-edge') {
        const next: StateName = s.state === 'ESTABLISHED' ? 'CLOSE-WAIT' : s.state === 'FIN-WAIT-1' ? 'CLOSING' : 'TIME-WAIT';
        return { outcome: { kind: 'fin', next }, why: `RFC 9293 3.10.7.4 eighth step: the FIN is acknowledged and ${s.state} becomes ${next}.` };
      }
      if (pos === 'outside-right') return { outcome: DUPACK, why: 'A FIN beyond the window is not taken; an ACK says what is expected.' };
      return { outcome: DUPACK, why: 'A FIN beyond RCV.NXT is held out of order and an immediate duplicate ACK asks for the missing bytes.' };
  }
}

function seqAt(s: Setup, p: ProfileFacts, pos: Position): number {
  const r = s.rcvNxt;
  const w = p.rcvWnd;
  switch (pos) {
    case 'outside-left':
      return r - 1;
    case 'left-edge':
      return r;
    case 'middle':
      return r + 1000;
    case 'right-edge':
      return r + w - 1;
    case 'outside-right':
      return r + w;
  }
}

/** The ACK the host sends, as the profile writes it in this state. */
function ackLine(p: ProfileFacts, s: Setup, ack: number, challenge: boolean, time = '+0'): string {
  // BSD's tcp_output sets FIN on every segment while ours is unacknowledged (tcp_outflags) and
  // reuses its sequence number; a challenge ACK goes out through tcp_respond without it.
  if (p.name === 'freebsd' && s.finOut && !challenge) return line(time, `> F. ${s.sndNxt - 1}:${s.sndNxt - 1}(0) ack ${ack}`);
  return line(time, `> . ${s.sndNxt}:${s.sndNxt}(0) ack ${ack}`);
}

function eventLine(s: Setup, ev: Event, seq: number, pos: Position): string {
  const ack = s.sndUna;
  switch (ev) {
    case 'rst':
      return line('+.05', `< R. ${seq}:${seq}(0) ack ${ack} win 32792`);
    case 'syn':
      return line('+.05', `< S ${seq}:${seq}(0) win 32792 <mss 1460>`);
    case 'ack':
      return line('+.05', `< . ${seq}:${seq}(0) ack ${ack} win 32792`);
    case 'fin':
      return line('+.05', `< F. ${seq}:${seq}(0) ack ${ack} win 32792`);
    case 'data': {
      const len = pos === 'outside-left' || pos === 'right-edge' ? 1 : 10;
      return line('+.05', `< P. ${seq}:${seq + len}(${len}) ack ${ack} win 32792`);
    }
  }
}

const EVENT_TEXT: Record<Event, string> = {
  rst: 'a RST',
  syn: 'a SYN',
  ack: 'a bare ACK',
  data: 'data',
  fin: 'a FIN',
};

function script(p: ProfileFacts, s: Setup, ev: Event, pos: Position, insecure: boolean): GeneratedScript {
  const seq = seqAt(s, p, pos);
  const c = cell(p, s, ev, pos, insecure);
  const head = [
    HEADER,
    `// ${s.state} (${s.what}): ${EVENT_TEXT[ev]} with ${POS_TEXT[pos]}${insecure ? ', RFC 5961 off' : ''}.`,
    `// ${c.why}`,
  ];
  const body: string[] = [];
  if (insecure) body.push(line('0', '`sysctl -w net.inet.tcp.insecure_rst=1`'));
  const est = establish(p);
  if (insecure) est[0] = line('+0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3');
  body.push(...est, ...s.lines(p));
  body.push('', eventLine(s, ev, seq, pos));
  const o = c.outcome;
  switch (o.kind) {
    case 'silent':
      body.push(line('+.05', p.stateIs(s.state)));
      break;
    case 'ack':
      body.push(ackLine(p, s, s.rcvNxt, o.challenge), line('+.05', p.stateIs(s.state)));
      break;
    case 'reset':
      body.push(line('+.05', p.noConnection()));
      if (s.state === 'ESTABLISHED' || s.state === 'FIN-WAIT-1' || s.state === 'FIN-WAIT-2') {
        body.push(line('+0', 'read(4, ..., 100) = -1 ECONNRESET (Connection reset by peer)'));
      }
      break;
    case 'accepted':
      body.push(ackLine(p, s, seq + 10, false, '*'), line('+0', 'read(4, ..., 100) = 10'), line('+.05', p.stateIs(s.state)));
      break;
    case 'fin':
      body.push(ackLine(p, { ...s, finOut: s.finOut }, s.rcvNxt + 1, false, s.state === 'ESTABLISHED' ? '*' : '+0'));
      body.push(line('+0', 'read(4, ..., 100) = 0'), line('+.05', p.stateIs(o.next)));
      break;
    case 'reopen':
      body.push(line('+0', `> S. 0:0(0) ack ${seq + 1} <...>`));
      body.push(line('+.05', `< . ${seq + 1}:${seq + 1}(0) ack 1 win 32792`), line('+0', 'accept(3, ..., ...) = 5'));
      body.push(line('+0', p.stateIs('ESTABLISHED')));
      break;
  }
  // In ESTABLISHED the connection must also still carry data after everything that left it alone.
  if (s.state === 'ESTABLISHED' && (o.kind === 'silent' || o.kind === 'ack')) {
    const from = s.rcvNxt;
    if (ev === 'data' && (pos === 'middle' || pos === 'right-edge')) {
      // Fill the hole: everything up to the end of the out-of-order data is delivered at once.
      const len = pos === 'right-edge' ? 1 : 10;
      body.push('', '// Filling the hole delivers everything at once.');
      // A script packet carries at most 65535 bytes: fill a wide hole in halves, each acknowledged
      // at once while data is still out of order.
      const half = seq - from > 65535 ? from + Math.ceil((seq - from) / 2) : from;
      if (half > from) body.push(line('+.05', `< . ${from}:${half}(${half - from}) ack 1 win 32792`), line('+0', `> . 1:1(0) ack ${half}`));
      body.push(line(half > from ? '+0' : '+.05', `< . ${half}:${seq}(${seq - half}) ack 1 win 32792`), line('+0', `> . 1:1(0) ack ${seq + len}`));
      body.push(line('+0', `read(4, ..., 100000) = ${seq - from + len}`));
    } else {
      body.push('', '// The connection still takes in-order data.');
      body.push(line('+.05', `< P. ${from}:${from + 10}(10) ack 1 win 32792`), line('*', `> . 1:1(0) ack ${from + 10}`), line('+0', 'read(4, ..., 100) = 10'));
    }
  }
  const name = `${ev}-${pos}${insecure ? '-insecure' : ''}.pkt`;
  return { path: `${p.name}/states/${s.dir}/${name}`, text: [...head, ...body, ''].join('\n') };
}

export function synchronizedStates(p: ProfileFacts): GeneratedScript[] {
  const out: GeneratedScript[] = [];
  const events: Event[] = ['rst', 'syn', 'ack', 'data', 'fin'];
  for (const s of SETUPS) {
    for (const ev of events) {
      for (const pos of POSITIONS) {
        out.push(script(p, s, ev, pos, false));
        if (ev === 'rst' && p.name === 'freebsd') out.push(script(p, s, ev, pos, true));
      }
    }
  }
  return out;
}
