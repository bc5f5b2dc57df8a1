// How the demo talks to a newcomer: numbered steps, what was sent (→), what
// came back (←), one line of why; and a check after each step that stops the
// walk with a FAIL line saying what differed.

export class StepFailed extends Error {
  override name = 'StepFailed';
}

export class Report {
  private count = 0;
  private title = '';

  constructor(private readonly write: (line: string) => void = (line) => void process.stdout.write(`${line}\n`)) {}

  line(text = ''): void {
    this.write(text);
  }

  step(title: string): void {
    this.count++;
    this.title = title;
    this.write(`\n${this.count}. ${title}`);
  }

  /** "step 3 (A large transfer ...)", for FAIL lines. */
  where(): string {
    return this.count === 0 ? 'while starting' : `at step ${this.count} (${this.title})`;
  }

  get steps(): number {
    return this.count;
  }

  sent(text: string): void {
    this.write(`   → ${text}`);
  }

  got(text: string): void {
    this.write(`   ← ${text}`);
  }

  /** An indented continuation line. */
  more(text: string): void {
    this.write(`     ${text}`);
  }

  why(text: string): void {
    this.write(`   ${text}`);
  }

  /** Stops the walk when `ok` is false. */
  check(ok: boolean, whatDiffered: string): asserts ok {
    if (!ok) throw new StepFailed(whatDiffered);
  }
}
