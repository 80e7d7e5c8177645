// The macOS Local Network privacy signature, decided from four observations: a pure function, so a table test covers what no Linux machine can show.

/** What the local-network fact observed; null where it did not look (nothing pointed at the signature). */
export interface LocalNetworkInputs {
  platform: string;
  /** The error connecting to LMX (the lmx fact's errorCode), or null when it connected. */
  errorCode: string | null;
  /** lmx.host's IPv4 address lies in the subnet of one of this machine's interfaces. */
  sameSubnet: boolean | null;
  /** The default gateway answered a TCP connect (accepted or refused: either way it is reachable). */
  gatewayAnswers: boolean | null;
}

/** Errors macOS gives a process that Local Network privacy does not allow to reach the LAN. */
export const LOCAL_NETWORK_ERRORS: readonly string[] = ['EHOSTUNREACH', 'EPERM'];

/**
 * macOS refuses a process without the Local Network permission every same-subnet host (EHOSTUNREACH or EPERM at
 * connect) while routed traffic still works: the gateway answering is what tells it apart from a host that is down
 * or a LAN that is gone. Anywhere else, and for any other error, it is not this.
 */
export function localNetworkBlocked(i: LocalNetworkInputs): boolean {
  return i.platform === 'darwin' && i.errorCode !== null && LOCAL_NETWORK_ERRORS.includes(i.errorCode) && i.sameSubnet === true && i.gatewayAnswers === true;
}
