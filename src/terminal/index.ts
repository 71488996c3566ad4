export { parseFrame, blankGrid, gridText, type Cell, type Grid } from './cells.js';
export { diffGrids, type DiffResult } from './diff.js';
export { createScreenWriter, InkStdout, type ScreenWriter, type ScreenWriterOptions, type TerminalOut } from './writer.js';
export {
  createTerminalSession,
  installTerminalGuards,
  ALT_SCREEN_ON,
  ALT_SCREEN_OFF,
  CURSOR_HIDE,
  CURSOR_SHOW,
  ENTER_SEQUENCE,
  LEAVE_SEQUENCE,
  type TerminalSession,
} from './lifecycle.js';
