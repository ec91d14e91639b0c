/**
 * The state x event matrix before synchronization: CLOSED (no socket on the port), LISTEN,
 * SYN-SENT (a non-blocking connect) and SYN-RECEIVED (a passive open waiting for the final
 * ACK). RFC 9293 3.10.7.1-3 and RFC 5961 3 say what happens; where Linux and FreeBSD answer a
 * RST in SYN-RECEIVED differently (Linux tcp_check_req resets on any RST in the window,
 * FreeBSD syncache_chkrst follows RFC 5961) the scripts are per profile.
 */
import { HEADER, line, type GeneratedScript, type ProfileFacts } from './profile.ts';
import { POSITIONS, type Position } from './synchronized.ts';

function file(path: string, comment: string[], body: string[]): GeneratedScript {
  return { path, text: [HEADER, ...comment.map((c) => `// ${c}`), ...body, ''].join('\n') };
}

// ---- CLOSED -----------------------------------------------------------------------------------

/** RFC 9293 3.10.7.1: in CLOSED everything but a RST draws a RST. */
export function closedState(p: ProfileFacts): GeneratedScript[] {
  const dir = `${p.name}/states/closed`;
  const rstForAck = (ev: string, seg: string): GeneratedScript =>
    file(
      `${dir}/${ev}.pkt`,
      [`CLOSED (nothing listens on the port): ${ev === 'syn-ack' ? 'a SYN/ACK' : ev === 'ack' ? 'a bare ACK' : ev === 'data' ? 'data with ACK' : 'a FIN with ACK'} draws`, 'a RST with SEQ = SEG.ACK and no ACK bit (RFC 9293 3.10.7.1).'],
      [line('0', seg), line('+0', '> R 1000:1000(0)')],
    );
  const rstNoAck = (ev: string, seg: string, ack: number, what: string): GeneratedScript =>
    file(
      `${dir}/${ev}.pkt`,
      [`CLOSED: ${what} without ACK draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 3.10.7.1;`, 'SYN and FIN count in SEG.LEN).'],
      [line('0', seg), line('+0', `> R. 0:0(0) ack ${ack}`)],
    );
  return [
    rstNoAck('syn', '< S 0:0(0) win 32792 <mss 1460>', 1, 'a SYN'),
    rstNoAck('fin-no-ack', '< F 1:1(0) win 32792', 2, 'a FIN'),
    rstNoAck('data-no-ack', '< P 1:11(10) win 32792', 11, 'data'),
    rstForAck('syn-ack', '< S. 0:0(0) ack 1000 win 32792 <mss 1460>'),
    rstForAck('ack', '< . 1:1(0) ack 1000 win 32792'),
    rstForAck('data', '< P. 1:11(10) ack 1000 win 32792'),
    rstForAck('fin', '< F. 1:1(0) ack 1000 win 32792'),
    file(`${dir}/rst.pkt`, ['CLOSED: a RST is dropped and never answered (RFC 9293 3.10.7.1).'], [line('0', '< R. 1:1(0) ack 1000 win 32792'), line('+.1', p.noConnection())]),
  ];
}

// ---- LISTEN -----------------------------------------------------------------------------------

const LISTEN = [line('0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'), line('+0', 'bind(3, ..., ...) = 0'), line('+0', 'listen(3, 1) = 0')];

/** RFC 9293 3.10.7.2. */
export function listenState(p: ProfileFacts): GeneratedScript[] {
  const dir = `${p.name}/states/listen`;
  const rst = (ev: string, what: string, seg: string): GeneratedScript =>
    file(`${dir}/${ev}.pkt`, [`LISTEN: ${what} is bad: it draws <SEQ=SEG.ACK><CTL=RST> and the listener stays (RFC 9293 3.10.7.2).`], [
      ...LISTEN,
      line('+.1', seg),
      line('+0', '> R 1000:1000(0)'),
      line('+.1', p.stateIs('LISTEN')),
    ]);
  const ignored = (ev: string, what: string, seg: string, rule: string): GeneratedScript =>
    file(`${dir}/${ev}.pkt`, [`LISTEN: ${what} is ignored (${rule}); the listener still answers a SYN.`], [
      ...LISTEN,
      line('+.1', seg),
      line('+.1', p.stateIs('LISTEN')),
      line('+0', '< S 0:0(0) win 32792 <mss 1460>'),
      line('+0', '> S. 0:0(0) ack 1 <...>'),
    ]);
  return [
    rst('syn-ack', 'a SYN/ACK', '< S. 0:0(0) ack 1000 win 32792 <mss 1460>'),
    rst('ack', 'a bare ACK', '< . 1:1(0) ack 1000 win 32792'),
    rst('data', 'data with ACK', '< P. 1:11(10) ack 1000 win 32792'),
    rst('fin', 'a FIN with ACK', '< F. 1:1(0) ack 1000 win 32792'),
    ignored('rst', 'a RST', '< R 1:1(0) win 32792', 'RFC 9293 3.10.7.2 first check'),
    ignored('rst-ack', 'a RST with ACK', '< R. 1:1(0) ack 1000 win 32792', 'RFC 9293 3.10.7.2 first check'),
    ignored('fin-no-ack', 'a FIN without SYN or ACK', '< F 1:1(0) win 32792', 'RFC 9293 3.10.7.2 fourth: any other control or text segment is dropped'),
  ];
}

// ---- SYN-SENT ---------------------------------------------------------------------------------

const CONNECT = [
  line('0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'),
  line('+0', 'fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0'),
  line('+0', 'connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)'),
  line('+0', '> S 0:0(0) <...>'),
];

type AckPos = 'outside-left' | 'left-edge' | 'outside-right';
const ACK_POS: Record<AckPos, { ack: number; text: string }> = {
  'outside-left': { ack: 0, text: 'SEG.ACK = ISS (acknowledges nothing we sent)' },
  'left-edge': { ack: 1, text: 'SEG.ACK = SND.NXT (acknowledges our SYN)' },
  'outside-right': { ack: 2, text: 'SEG.ACK = SND.NXT+1 (acknowledges something never sent)' },
};

/** The connection still completes with a proper SYN/ACK. */
function completes(p: ProfileFacts): string[] {
  return [
    line('+.1', p.stateIs('SYN-SENT')),
    line('+0', '< S. 0:0(0) ack 1 win 32792 <mss 1460>'),
    line('+0', '> . 1:1(0) ack 1'),
    line('+0', p.stateIs('ESTABLISHED')),
  ];
}

/** RFC 9293 3.10.7.3. */
export function synSentState(p: ProfileFacts): GeneratedScript[] {
  const dir = `${p.name}/states/syn-sent`;
  const out: GeneratedScript[] = [];
  for (const [pos, { ack, text }] of Object.entries(ACK_POS) as Array<[AckPos, { ack: number; text: string }]>) {
    const good = pos === 'left-edge';
    // SYN/ACK
    out.push(
      file(
        `${dir}/syn-ack-${pos}.pkt`,
        good
          ? [`SYN-SENT: a SYN/ACK with ${text} completes the handshake: we ACK and are ESTABLISHED (RFC 9293 3.10.7.3).`]
          : [`SYN-SENT: a SYN/ACK with ${text} is unacceptable: it draws <SEQ=SEG.ACK><CTL=RST>`, 'and the connection stays in SYN-SENT (RFC 9293 3.10.7.3 first check).'],
        good
          ? [...CONNECT, line('+.1', `< S. 0:0(0) ack ${ack} win 32792 <mss 1460>`), line('+0', '> . 1:1(0) ack 1'), line('+0', p.stateIs('ESTABLISHED')), line('+0', 'getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0')]
          : [...CONNECT, line('+.1', `< S. 0:0(0) ack ${ack} win 32792 <mss 1460>`), line('+0', `> R ${ack}:${ack}(0)`), ...completes(p)],
      ),
    );
    // Bare ACK
    out.push(
      file(
        `${dir}/ack-${pos}.pkt`,
        good
          ? [`SYN-SENT: a bare ACK with ${text} but no SYN is dropped (RFC 9293 3.10.7.3 fifth check).`]
          : [`SYN-SENT: a bare ACK with ${text} draws <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.3).`],
        [...CONNECT, line('+.1', `< . 1:1(0) ack ${ack} win 32792`), ...(good ? [] : [line('+0', `> R ${ack}:${ack}(0)`)]), ...completes(p)],
      ),
    );
    // RST with ACK
    out.push(
      file(
        `${dir}/rst-ack-${pos}.pkt`,
        good
          ? [`SYN-SENT: a RST with ${text} refuses the connection: connect fails with ECONNREFUSED`, '(RFC 9293 3.10.7.3 second check).']
          : [`SYN-SENT: a RST with ${text} is not acceptable and is dropped without answer (RFC 9293 3.10.7.3).`],
        good
          ? [...CONNECT, line('+.1', `< R. 0:0(0) ack ${ack} win 0`), line('+0', 'getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0'), line('+0', p.noConnection())]
          : [...CONNECT, line('+.1', `< R. 0:0(0) ack ${ack} win 0`), ...completes(p)],
      ),
    );
  }
  out.push(
    file(`${dir}/rst-no-ack.pkt`, ['SYN-SENT: a RST without ACK cannot be checked against our SYN and is dropped (RFC 9293 3.10.7.3).'], [
      ...CONNECT,
      line('+.1', '< R 0:0(0) win 0'),
      ...completes(p),
    ]),
    file(`${dir}/fin-ack.pkt`, ['SYN-SENT: a FIN with an acceptable ACK but no SYN is dropped (RFC 9293 3.10.7.3 fifth check).'], [
      ...CONNECT,
      line('+.1', '< F. 1:1(0) ack 1 win 32792'),
      ...completes(p),
    ]),
    file(`${dir}/data-ack.pkt`, ['SYN-SENT: data with an acceptable ACK but no SYN is dropped (RFC 9293 3.10.7.3 fifth check).'], [
      ...CONNECT,
      line('+.1', '< P. 1:11(10) ack 1 win 32792'),
      ...completes(p),
    ]),
    file(
      `${dir}/syn.pkt`,
      ['SYN-SENT: a SYN without ACK is a simultaneous open: we answer SYN/ACK with our own ISN, enter', 'SYN-RECEIVED, and the peer\'s ACK makes the connection ESTABLISHED (RFC 9293 3.5 figure 8).'],
      [
        ...CONNECT,
        line('+.1', '< S 0:0(0) win 32792 <mss 1460>'),
        line('+0', '> S. 0:0(0) ack 1 <...>'),
        line('+0', p.stateIs('SYN-RECEIVED')),
        line('+.1', '< . 1:1(0) ack 1 win 32792'),
        line('+0', p.stateIs('ESTABLISHED')),
        line('+0', 'getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0'),
      ],
    ),
  );
  return out;
}

// ---- SYN-RECEIVED -----------------------------------------------------------------------------

function synReceived(p: ProfileFacts): string[] {
  return [...LISTEN, line('+.1', '< S 0:0(0) win 32792 <mss 1460>'), line('+0', `> S. 0:0(0) ack 1 win ${p.synAckWindow} <mss 1460>`)];
}

const ALIVE = (p: ProfileFacts): string[] => [line('+.1', p.stateIs('SYN-RECEIVED')), line('+0', '< . 1:1(0) ack 1 win 32792'), line('+0', 'accept(3, ..., ...) = 4')];
const GONE = (p: ProfileFacts): string[] => [line('+.1', p.noConnection()), line('+0', '< . 1:1(0) ack 1 win 32792'), line('+0', '> R 1:1(0)')];

/** RST at each position in SYN-RECEIVED, per profile. */
export function synReceivedRst(p: ProfileFacts): GeneratedScript[] {
  const out: GeneratedScript[] = [];
  const w = p.synAckWindow;
  const seqOf: Record<Position, number> = { 'outside-left': 0, 'left-edge': 1, middle: 1001, 'right-edge': w, 'outside-right': w + 1 };
  const text: Record<Position, string> = {
    'outside-left': 'SEG.SEQ = RCV.NXT-1 (the SYN itself)',
    'left-edge': 'SEG.SEQ = RCV.NXT',
    middle: 'SEG.SEQ = RCV.NXT+1000',
    'right-edge': 'SEG.SEQ = RCV.NXT+RCV.WND-1',
    'outside-right': 'SEG.SEQ = RCV.NXT+RCV.WND',
  };
  const variants = p.name === 'freebsd' ? [false, true] : [false];
  for (const insecure of variants) {
    for (const pos of POSITIONS) {
      const s = seqOf[pos];
      let outcome: 'ignored' | 'dropped' | 'challenge';
      let why: string;
      if (p.name === 'linux') {
        if (pos === 'outside-left') {
          outcome = 'ignored';
          why = 'Linux drops a RST left of the window (tcp_check_req); the embryonic connection stays.';
        } else {
          outcome = 'dropped';
          why =
            pos === 'outside-right'
              ? "Linux's window test for SYN-RECEIVED (tcp_in_window) takes a zero-length segment at RCV.NXT+RCV.WND, and any RST it takes drops the embryonic connection (no RFC 5961 challenge there)."
              : 'Linux drops the embryonic connection on any RST in the window (tcp_check_req: no RFC 5961 challenge in SYN-RECEIVED).';
        }
      } else if (pos === 'outside-left' || pos === 'outside-right') {
        outcome = 'ignored';
        why = 'A RST outside the window is dropped silently (FreeBSD syncache_chkrst); the embryonic connection stays.';
      } else if (pos === 'left-edge' || insecure) {
        outcome = 'dropped';
        why = insecure ? 'Without RFC 5961 (net.inet.tcp.insecure_rst=1) any RST in the window drops the embryonic connection.' : 'RFC 5961 3.2: a RST at RCV.NXT drops the embryonic connection (FreeBSD syncache_chkrst).';
      } else {
        outcome = 'challenge';
        why = 'RFC 5961 3.2: a RST in the window but not at RCV.NXT draws a challenge ACK (FreeBSD syncache_chkrst) and the embryonic connection stays.';
      }
      const body = insecure ? [line('0', '`sysctl -w net.inet.tcp.insecure_rst=1`'), ...synReceived(p).map((l, i) => (i === 0 ? line('+0', 'socket(..., SOCK_STREAM, IPPROTO_TCP) = 3') : l))] : synReceived(p);
      body.push(line('+.1', `< R ${s}:${s}(0) win 32792`));
      if (outcome === 'challenge') body.push(line('+0', '> . 1:1(0) ack 1'));
      body.push(...(outcome === 'dropped' ? GONE(p) : ALIVE(p)));
      out.push(
        file(`${p.name}/states/syn-received/rst-${pos}${insecure ? '-insecure' : ''}.pkt`, [`SYN-RECEIVED (passive open): a RST with ${text[pos]}${insecure ? ', RFC 5961 off' : ''}.`, why, outcome === 'dropped' ? 'The final ACK then finds no connection and draws a RST.' : 'The final ACK then completes the connection.'], body),
      );
    }
  }
  return out;
}

/** Other events in SYN-RECEIVED, the same on both profiles. */
export function synReceivedCommon(p: ProfileFacts): GeneratedScript[] {
  const dir = `${p.name}/states/syn-received`;
  const badAck = (pos: 'outside-left' | 'outside-right', ack: number): GeneratedScript =>
    file(
      `${dir}/ack-${pos}.pkt`,
      [`SYN-RECEIVED: an ACK with SEG.ACK = ${ack === 0 ? 'ISS (acknowledges nothing)' : 'SND.NXT+1 (acknowledges something never sent)'} is unacceptable: it draws`, '<SEQ=SEG.ACK><CTL=RST> and the embryonic connection stays (RFC 9293 3.10.7.4 fifth check).'],
      [...synReceived(p), line('+.1', `< . 1:1(0) ack ${ack} win 32792`), line('+0', `> R ${ack}:${ack}(0)`), ...ALIVE(p)],
    );
  return [
    badAck('outside-left', 0),
    badAck('outside-right', 2),
    file(`${dir}/ack-left-edge.pkt`, ['SYN-RECEIVED: the ACK of our SYN completes the passive open; accept() returns the connection (RFC 9293 3.10.7.4).'], [
      ...synReceived(p),
      line('+.1', '< . 1:1(0) ack 1 win 32792'),
      line('+0', 'accept(3, ..., ...) = 4'),
      line('+0', p.stateIs('ESTABLISHED')),
    ]),
    file(`${dir}/data.pkt`, ['SYN-RECEIVED: data on the final ACK completes the open and is delivered (RFC 9293 3.10.7.4).'], [
      ...synReceived(p),
      line('+.1', '< P. 1:11(10) ack 1 win 32792'),
      line('*', '> . 1:1(0) ack 11'),
      line('+0', 'accept(3, ..., ...) = 4'),
      line('+0', 'read(4, ..., 100) = 10'),
    ]),
    file(`${dir}/fin.pkt`, ['SYN-RECEIVED: a FIN on the final ACK completes the open and closes the peer\'s side: the', 'connection is accepted in CLOSE-WAIT and reads end of stream (RFC 9293 3.10.7.4 eighth step).'], [
      ...synReceived(p),
      line('+.1', '< F. 1:1(0) ack 1 win 32792'),
      line('*', '> . 1:1(0) ack 2'),
      line('+0', 'accept(3, ..., ...) = 4'),
      line('+0', 'read(4, ..., 100) = 0'),
      line('+0', p.stateIs('CLOSE-WAIT')),
    ]),
    file(`${dir}/syn-retransmitted.pkt`, ['SYN-RECEIVED: the peer\'s SYN again (its retransmission) gets our SYN/ACK again, same ISN', '(RFC 9293 3.8.1 retransmission; Linux tcp_check_req, FreeBSD syncache_add).'], [
      ...synReceived(p),
      line('+.1', '< S 0:0(0) win 32792 <mss 1460>'),
      line('+0', `> S. 0:0(0) ack 1 win ${p.synAckWindow} <mss 1460>`),
      ...ALIVE(p),
    ]),
  ];
}
