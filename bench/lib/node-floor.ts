/** The start and exit of a Node process that does nothing: what no Node CLI can beat. */
export const NODE_FLOOR = { name: 'node -e 0 (floor)', argv: [process.execPath, '-e', '0'] } as const;
