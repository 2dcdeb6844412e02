/**
 * Options of the ws package this layer cannot honour, each with the only value it accepts
 * (ws's default, which is what this layer does) and why no other: a program that asks for
 * something else is refused at construction rather than silently given the default.
 */
const refusals: Readonly<Record<string, { accepted: boolean | undefined; why: string }>> = {
  autoPong: {
    accepted: true,
    why: 'wslay answers every ping itself, so pings are always answered',
  },
  allowSynchronousEvents: {
    accepted: true,
    why: 'the messages of one socket read are delivered in one go',
  },
  skipUTF8Validation: {
    accepted: false,
    why: 'wslay always checks that text messages are UTF-8 (and closes with 1007 otherwise)',
  },
  maxBufferedChunks: {
    accepted: undefined,
    why: 'incoming data is parsed as it arrives; maxPayload bounds what one message may hold',
  },
  maxFragments: {
    accepted: undefined,
    why: 'every fragment counts 64 bytes against maxPayload instead',
  },
  maxPendingAutoPongs: {
    accepted: undefined,
    why: 'the pongs owed to a peer count against maxBufferedAmount instead',
  },
};

/** Throws a TypeError for an option of ws's that asks for what this layer cannot do. */
export function refuseUnsupportedOptions(options: Record<string, unknown>): void {
  for (const [name, { accepted, why }] of Object.entries(refusals)) {
    const value = options[name];
    if (value === undefined || value === accepted) continue;
    const supported =
      accepted === undefined ? 'is not supported' : `can only be ${String(accepted)}`;
    throw new TypeError(`options.${name} ${supported}: ${why}`);
  }
}
