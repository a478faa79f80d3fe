/** @module The relay's version, sent in every delivery's user-agent. Kept equal to package.json by a test. */
export const VERSION = "0.1.0";
export const USER_AGENT = `hookrelay/${VERSION}`;
