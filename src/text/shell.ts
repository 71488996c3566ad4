/**
 * An argv as a shell would need it to read the same: for showing a command (describe(), a dry run, `running: …`),
 * never for running one (nothing sov runs goes through a shell it quoted).
 */

/** one argument: bare when it holds only safe characters, else in single quotes ('' for the empty string) */
export function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** the whole argv, each argument quoted, space-separated */
export const shellLine = (argv: readonly string[]): string => argv.map(shellQuote).join(' ');
