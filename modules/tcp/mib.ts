/**
 * Counters of one TCP instance. The first group is the TCP-MIB (RFC 4022 tcpActiveOpens…);
 * the rest follow Linux's TcpExt names (netstat -s / nstat) so that observations read the
 * same as on a real host.
 */
export class TcpMib {
  // RFC 4022
  ActiveOpens = 0;
  PassiveOpens = 0;
  AttemptFails = 0;
  EstabResets = 0;
  CurrEstab = 0;
  InSegs = 0;
  OutSegs = 0;
  RetransSegs = 0;
  InErrs = 0;
  OutRsts = 0;
  InCsumErrors = 0;
  // Linux TcpExt
  ListenOverflows = 0;
  ListenDrops = 0;
  TCPChallengeACK = 0;
  TCPSYNChallenge = 0;
  TCPACKSkippedChallenge = 0;
  TCPACKSkippedSeq = 0;
  TCPACKSkippedPAWS = 0;
  PAWSEstab = 0;
  PAWSActive = 0;
  OutOfWindowIcmps = 0;
  DelayedACKs = 0;
  TCPFastRetrans = 0;
  TCPSackRecovery = 0;
  TCPRenoRecovery = 0;
  TCPPartialUndo = 0;
  TCPTimeouts = 0;
  TCPLossProbes = 0;
  TCPDSACKRecv = 0;
  TCPDSACKOldSent = 0;
  TCPDSACKOfoSent = 0;
  TCPSACKReneging = 0;
  TCPOFOQueue = 0;
  TCPOFODrop = 0;
  TCPZeroWindowDrop = 0;
  TCPRcvQDrop = 0;
  TCPAbortOnData = 0;
  TCPAbortOnClose = 0;
  TCPAbortOnMemory = 0;
  TCPAbortOnTimeout = 0;
  TCPAbortOnLinger = 0;
  TCPAbortFailed = 0;
  TCPWinProbe = 0;
  TCPKeepAlive = 0;
  TCPSynRetrans = 0;
  TCPTimeWaitReuse = 0;
  TW = 0;
  TWKilled = 0;
  TCPMissingTsDrop = 0;
  TCPUrgentSeen = 0;
  TCPRSTIgnoredTimeWait = 0;
  EmbryonicRsts = 0;

  /** A plain snapshot (name → value), for ioctls and reports. */
  snapshot(): Record<string, number> {
    return { ...this } as unknown as Record<string, number>;
  }
}

export type TcpMibName = Exclude<keyof TcpMib, 'snapshot'>;
