/**
 * The sandbox's layout (issue 21): every file small enough to read, and no import circles. Circles are found
 * by madge (type-only imports count: a circle of types still ties two modules together).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

interface MadgeResult {
  obj(): Record<string, string[]>;
  circular(): string[][];
}
// madge ships no type declarations; this is the part of its API the test uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const madge = require('madge') as (paths: string[], config: Record<string, unknown>) => Promise<MadgeResult>;

const ROOT = join(__dirname, '..', '..', '..');
const MAX_LINES = 400;
/** Trees checked for circles. */
const CHECKED = ['sandbox', 'lambdas', 'lib', 'bin', 'src'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'node_modules' ? [] : tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

function lineCount(file: string): number {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

function circles(paths: string[], baseDir: string): Promise<MadgeResult> {
  return madge(paths, {
    baseDir,
    fileExtensions: ['ts'],
    tsConfig: join(ROOT, 'tsconfig.json'),
    excludeRegExp: [/node_modules/],
  });
}

describe('sandbox layout', () => {
  it(`keeps every .ts file under sandbox/ at ${MAX_LINES} lines or fewer`, () => {
    const files = tsFiles(join(ROOT, 'sandbox'));
    expect(files.length).toBeGreaterThan(20);
    const over = files
      .map((f) => ({ file: relative(ROOT, f), lines: lineCount(f) }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `${f.file}: ${f.lines} lines (at most ${MAX_LINES})`);
    expect(over).toEqual([]);
  });

  it(`has no import circles under ${CHECKED.join('/, ')}/`, async () => {
    const result = await circles(CHECKED, ROOT);
    // madge read the tree (not an empty graph that trivially has no circles).
    expect(result.obj()['sandbox/aws/sfn.ts']).toEqual(expect.arrayContaining(['sandbox/aws/sfn-model.ts']));
    expect(result.circular().map((c) => c.join(' → '))).toEqual([]);
  }, 120_000);

  it('finds a circle made only of type imports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipgate-layout-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = { b?: B };\n");
      writeFileSync(join(dir, 'b.ts'), "import type { A } from './a';\nexport type B = { a?: A };\n");
      writeFileSync(join(dir, 'c.ts'), "import type { A } from './a';\nexport type C = A;\n");
      const result = await circles([dir], dir);
      expect(result.circular()).toEqual([['a.ts', 'b.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
