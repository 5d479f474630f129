import type { ObjectEvent } from '../sync/mirror.js';

export interface ProgressOptions {
  /** Redraw one status line (a terminal) or print a plain line every `intervalMs`. */
  tty: boolean;
  /** Print nothing while running (`--json`). */
  quiet: boolean;
  intervalMs?: number;
  write?: (text: string) => void;
}

/**
 * Shows a long run's progress: objects, bytes, rate and errors, redrawn in place on a terminal,
 * plain periodic lines otherwise (logs, CI), nothing with `--json`. The total is unknown while the
 * listings stream, so it shows the rate and elapsed time rather than an ETA until the end. Nothing
 * is shown before `start()`: a run refused before it began prints no progress line.
 */
export class SyncProgress {
  private objects = 0;
  private copied = 0;
  private bytes = 0;
  private errors = 0;
  private started: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly write: (text: string) => void;

  constructor(
    private readonly verb: string,
    private readonly options: ProgressOptions,
  ) {
    this.write = options.write ?? ((text) => process.stderr.write(text));
  }

  /** The run really begins: the display starts (once; later calls do nothing). */
  start(): void {
    if (this.started !== undefined || this.stopped) return;
    this.started = performance.now();
    if (!this.options.quiet) {
      this.timer = setInterval(() => this.render(false), this.options.intervalMs ?? (this.options.tty ? 200 : 5000));
      this.timer.unref();
    }
  }

  onEvent = (event: ObjectEvent): void => {
    this.objects++;
    if (event.error !== undefined) {
      this.errors++;
      if (!this.options.quiet) this.line(`error ${event.key}: ${event.error.code}: ${event.error.message}`);
      return;
    }
    if (event.action === 'copy') {
      this.copied++;
      this.bytes += event.bytes;
    }
  };

  /** Prints a line above the status line. */
  line(text: string): void {
    if (this.options.tty) this.write(`\r\u001b[2K${text}\n`);
    else this.write(`${text}\n`);
  }

  /** Stops the periodic display and prints the final status once, if the display started. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (!this.options.quiet && this.started !== undefined) this.render(true);
  }

  private stopped = false;

  private render(final: boolean): void {
    const seconds = (performance.now() - (this.started ?? performance.now())) / 1000;
    const rate = seconds > 0 ? this.bytes / 1024 / 1024 / seconds : 0;
    const text = `${this.verb}: ${this.objects} objects (${this.copied} copied, ${formatBytes(this.bytes)}), ${rate.toFixed(1)} MiB/s, ${this.errors} errors, ${seconds.toFixed(0)} s`;
    if (this.options.tty) this.write(`\r\u001b[2K${text}${final ? '\n' : ''}`);
    else this.write(`${text}\n`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
