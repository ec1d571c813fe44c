/** `--name value` flags of the bench scripts: the value after `--name`, or the default. */
const argv = process.argv.slice(2);

export function flag(name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
}
