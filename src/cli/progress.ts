/**
 * The progress line of a long operation, on stderr so that stdout stays the result: rewritten in place on a
 * terminal (with the seconds elapsed), one line per change otherwise (a log file or CI output keeps the
 * history without repeats).
 */
export class Progress {
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #started = Date.now();
  #last: string | undefined;
  #open = false;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean }) {
    this.#stream = stream;
  }

  update(text: string): void {
    if (text === this.#last) return;
    this.#last = text;
    if (this.#stream.isTTY === true) {
      this.#stream.write(`\r\x1b[2K${text} (${Math.round((Date.now() - this.#started) / 1000)} s)`);
      this.#open = true;
    } else {
      this.#stream.write(`${text}\n`);
    }
  }

  /** Ends the line in place, so that what follows starts on a fresh one. */
  end(): void {
    if (this.#open) this.#stream.write('\n');
    this.#open = false;
  }
}
