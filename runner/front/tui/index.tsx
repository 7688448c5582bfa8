// Opens the guided tour in the terminal: Ink renders <App>, the shell key hands the terminal
// to the lab's container and takes it back, and the exit code says how the tour ended.
import { render } from 'ink';
import { App, type AppProps } from './App.js';
import { eraseFrame } from './first-frame.js';

export type TourOptions = Pick<AppProps, 'entries' | 'lang' | 'version' | 'progressFile' | 'color' | 'initialLab'> & {
  /** Lines of the first frame painted before Ink loaded (erased before Ink's own). */
  readonly painted?: number;
};

type Handle = { reading?: boolean; readStart?: () => number; readStop?: () => number };

/** Node keeps reading a terminal it has read from; a shell sharing it would lose keys. */
function setReading(input: NodeJS.ReadStream, on: boolean): void {
  const h = (input as unknown as { _handle?: Handle })._handle;
  if (!h || typeof h.readStart !== 'function' || typeof h.readStop !== 'function') return;
  if (on && !h.reading) {
    h.reading = true;
    h.readStart();
  } else if (!on && h.reading) {
    h.reading = false;
    h.readStop();
  }
}

export async function openTour(o: TourOptions): Promise<number> {
  const stdout = process.stdout;
  const stdin = process.stdin;
  if (o.painted) stdout.write(eraseFrame(o.painted));
  let code = 0;
  const suspend = async (run: () => Promise<number>, banner: string): Promise<number> => {
    await new Promise((r) => setTimeout(r, 30)); // Ink lets go of raw mode when its input hook goes inactive
    setReading(stdin, false);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdout.write(`\x1b[2J\x1b[H\x1b[?25h${banner}\n`);
    try {
      return await run();
    } finally {
      stdout.write('\x1b[2J\x1b[H\x1b[?25l');
      setReading(stdin, true);
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
      onExit={(c) => (code = c)}
      suspend={suspend}
    />,
    { exitOnCtrlC: false, patchConsole: true },
  );
  await instance.waitUntilExit();
  return code;
}
