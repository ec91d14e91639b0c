/**
 * The few DLPI-style primitives and ioctls between IP and the network driver. IP sends a packet
 * as M_PROTO(DL_UNITDATA_REQ naming the next hop) followed by the M_DATA packet, or as a bare
 * M_DATA when the device can find the destination itself (point-to-point links).
 */
import type { NeighbourAddr } from './device.ts';

export interface DlUnitdataReq {
  prim: 'DL_UNITDATA_REQ';
  /** Next hop on the attached network. */
  dst: NeighbourAddr;
}

export function isUnitdataReq(p: unknown): p is DlUnitdataReq {
  return typeof p === 'object' && p !== null && (p as { prim?: unknown }).prim === 'DL_UNITDATA_REQ';
}

/** ioctl: answer with a NetdrvStats snapshot. */
export const NETDRV_IOC_STATS = (0x4e << 8) | 1; // 'N' 1
/** ioctl: answer with NetdrvInfo. */
export const NETDRV_IOC_INFO = (0x4e << 8) | 2; // 'N' 2

export interface NetdrvInfo {
  name: string;
  mtu: number;
  carrier: boolean;
}

export interface NetdrvStats {
  /** Packets handed to the device, and their bytes. */
  txPackets: number;
  txBytes: number;
  /** Packets the device refused (down, too big, queue full: the device says which). */
  txRefused: number;
  /** Messages the write side could not use (empty, unknown primitive, unknown type). */
  txBadMsg: number;
  rxPackets: number;
  rxBytes: number;
  /** Received packets dropped because the read side was full (flow control above). */
  rxOverruns: number;
  /** Carrier transitions seen. */
  carrierChanges: number;
}
