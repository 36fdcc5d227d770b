import type { Keyboard } from './types.js';

const CTRL_C = 0x03;

/** The part of a terminal's stdin (a `tty.ReadStream`) that holding its keys needs. */
export interface RawInput {
  setRawMode(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/**
 * Holds a terminal's keys the way ora's `discardStdin` does: in raw mode the terminal echoes nothing
 * and raises no signal itself, so a key pressed while a live block is drawn never moves the cursor,
 * and a Ctrl-C (passed on to `onCtrlC`) never makes the terminal flush output it has not shown yet.
 */
export function terminalKeyboard(input: RawInput, onCtrlC: () => void): Keyboard {
  const listener = (chunk: Buffer) => {
    if (chunk.includes(CTRL_C)) onCtrlC();
  };
  return {
    hold() {
      input.setRawMode(true);
      input.on('data', listener);
      input.resume();
      return () => {
        input.off('data', listener);
        input.setRawMode(false);
        // A paused stdin no longer keeps the process alive.
        input.pause();
      };
    },
  };
}
