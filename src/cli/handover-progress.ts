/** How far a handover step has got. */
export interface HandoverStep {
  files: number;
  filesTotal: number;
  bytes: number;
  bytesTotal: number;
}

/**
 * One status line of `docstore export` / `import`, redrawn in place on a terminal (files, bytes,
 * percentage), a plain line every `everyFiles` files otherwise, nothing with `--json`.
 */
export class HandoverProgress {
  private drawn = false;
  private lastPlain = 0;

  constructor(
    private readonly options: { tty: boolean; quiet: boolean; formatBytes: (bytes: number) => string; everyFiles?: number; write?: (text: string) => void },
  ) {}

  update(verb: string, step: HandoverStep): void {
    if (this.options.quiet) return;
    const write = this.options.write ?? ((text: string) => process.stderr.write(text));
    const percent = step.bytesTotal > 0 ? Math.floor((step.bytes / step.bytesTotal) * 100) : 100;
    const line = `${verb}: ${step.files}/${step.filesTotal} files, ${this.options.formatBytes(step.bytes)} of ${this.options.formatBytes(step.bytesTotal)} (${percent}%)`;
    if (this.options.tty) {
      write(`\r\u001b[2K${line}`);
      this.drawn = true;
    } else if (step.files === step.filesTotal || step.files - this.lastPlain >= (this.options.everyFiles ?? 100)) {
      this.lastPlain = step.files;
      write(`${line}\n`);
    }
  }

  stop(): void {
    if (this.drawn) (this.options.write ?? ((text: string) => process.stderr.write(text)))('\n');
    this.drawn = false;
  }
}
