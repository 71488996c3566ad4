/** Terminals whose font is the console's (or less): the Linux console (also under screen/tmux: screen.linux), the VTs, dumb terminals. */
export function consoleTerm(term: string | undefined): boolean {
  return term !== undefined && (/^(linux|vt\d+|dumb|cons\d+|ansi|pcansi|con\d+x\d+)(-|$)/i.test(term) || /^(screen|tmux)\.linux$/i.test(term));
}
