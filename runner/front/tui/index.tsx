// Opens the guided tour in the terminal: Ink renders <App>, the shell key hands the terminal
// to the lab's container and takes it back, and the exit code says how the tour ended.
import { render } from 'ink';
import { App, type AppProps } from './App.js';
import { eraseFrame } from './first-frame.js';

export type TourOptions = Pick<AppProps, 'entries' | 'lang' | 'version' | 'progressFile' | 'color' | 'initialLab' | 'initial'> & {
  /** Lines of the menu painted before Ink loaded (erased before Ink's first frame). */
  readonly painted?: number;
};

export async function openTour(o: TourOptions): Promise<number> {
  const stdout = process.stdout;
  const stdin = process.stdin;
  if (o.painted) stdout.write(eraseFrame(o.painted));
  let code = 0;
  // Called once Ink's input hook went inactive (it removed its 'readable' listener and left
  // raw mode). Node would still read the terminal, and the shell sharing it would lose keys:
  // pausing stdin (public API; the stream then stops reading the terminal) leaves every key to
  // the shell. Ink's input hook starts the reading again when it becomes active.
  const suspend = async (run: () => Promise<number>, banner: string): Promise<number> => {
    await new Promise((r) => setImmediate(r)); // the stream notices the listener is gone on the next tick
    stdin.pause();
    if (stdin.isTTY) stdin.setRawMode(false);
    stdout.write(`\x1b[2J\x1b[H\x1b[?25h${banner}\n`);
    try {
      return await run();
    } finally {
      stdout.write('\x1b[2J\x1b[H\x1b[?25l');
    }
  };
  const instance = render(
    <App
      entries={o.entries}
      lang={o.lang}
      version={o.version}
      progressFile={o.progressFile}
      color={o.color}
      {...(o.initialLab ? { initialLab: o.initialLab } : {})}
      {...(o.initial ? { initial: o.initial } : {})}
      onExit={(c) => (code = c)}
      suspend={suspend}
    />,
    { exitOnCtrlC: false, patchConsole: true },
  );
  await instance.waitUntilExit();
  return code;
}
