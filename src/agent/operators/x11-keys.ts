/**
 * UI-TARS key names and text characters to X keysyms, and keysyms to the keycode (+ Shift) that produces them
 * on the server's current keyboard mapping.
 */
import { UnsupportedActionError } from './operator.ts';

/** Named keys as UI-TARS writes them (lowercase) -> X keysym. */
const NAMED: Record<string, number> = {
  ctrl: 0xffe3, // Control_L
  control: 0xffe3,
  shift: 0xffe1, // Shift_L
  alt: 0xffe9, // Alt_L
  option: 0xffe9,
  cmd: 0xffeb, // Super_L
  command: 0xffeb,
  meta: 0xffeb,
  win: 0xffeb,
  super: 0xffeb,
  enter: 0xff0d, // Return
  return: 0xff0d,
  esc: 0xff1b,
  escape: 0xff1b,
  tab: 0xff09,
  space: 0x20,
  backspace: 0xff08,
  delete: 0xffff,
  del: 0xffff,
  insert: 0xff63,
  home: 0xff50,
  end: 0xff57,
  pageup: 0xff55, // Prior
  pagedown: 0xff56, // Next
  up: 0xff52,
  down: 0xff54,
  left: 0xff51,
  right: 0xff53,
  arrowup: 0xff52,
  arrowdown: 0xff54,
  arrowleft: 0xff51,
  arrowright: 0xff53,
  capslock: 0xffe5,
  printscreen: 0xff61,
  print: 0xff61,
  pause: 0xff13,
  menu: 0xff67,
  plus: 0x2b,
  minus: 0x2d,
};

const MODIFIERS = new Set([0xffe3, 0xffe4, 0xffe1, 0xffe2, 0xffe9, 0xffea, 0xffeb, 0xffec]);

/** Keysym of one character: Latin-1 maps to itself, other Unicode to 0x01000000 + code point (X11 convention). */
export function charKeysym(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (ch === '\n' || ch === '\r') return 0xff0d;
  if (ch === '\t') return 0xff09;
  if (ch === '\b') return 0xff08;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

/** A UI-TARS key name ("ctrl", "enter", "f5", "a", "+") to an X keysym; UnsupportedActionError if unknown. */
export function keysymOf(name: string): number {
  const k = name.trim();
  const named = NAMED[k.toLowerCase()];
  if (named !== undefined) return named;
  const f = /^f([1-9]|1[0-9]|2[0-4])$/i.exec(k);
  if (f) return 0xffbe + Number(f[1]) - 1; // F1 = 0xffbe
  if ([...k].length === 1) {
    // A letter in a hotkey means the key, not the shifted character: 'C' in ctrl+C is ctrl+c.
    return charKeysym(/^[A-Z]$/.test(k) ? k.toLowerCase() : k);
  }
  throw new UnsupportedActionError(`unknown key '${name}'`);
}

export function isModifier(keysym: number): boolean {
  return MODIFIERS.has(keysym);
}

export interface KeyStroke {
  keycode: number;
  /** Shift must be held for this keysym (it sits in the mapping's second column). */
  shift: boolean;
}

/** Finds the keycode producing `keysym` in a GetKeyboardMapping table (rows from `minKeycode`). */
export function findKeycode(map: readonly number[][], minKeycode: number, keysym: number): KeyStroke | undefined {
  for (let col = 0; col < 2; col++) {
    for (let i = 0; i < map.length; i++) {
      if (map[i]![col] === keysym) return { keycode: minKeycode + i, shift: col === 1 };
    }
  }
  // Lowercase letters whose row holds only the uppercase keysym (single-column mappings).
  if (keysym >= 0x61 && keysym <= 0x7a) {
    for (let i = 0; i < map.length; i++) if (map[i]![0] === keysym - 0x20 && map[i]![1] === 0) return { keycode: minKeycode + i, shift: false };
  }
  return undefined;
}

/** A keycode with no keysym bound (a free slot to bind a missing keysym to), searching from the top. */
export function spareKeycode(map: readonly number[][], minKeycode: number): number | undefined {
  for (let i = map.length - 1; i >= 0; i--) if (map[i]!.every((s) => s === 0)) return minKeycode + i;
  return undefined;
}
