import { PassThrough } from 'node:stream';
import { MAX_LISTED, MigrationReport, terminalProgress } from './migration.report';

describe(MigrationReport.name, () => {
  it('exits 0 when every step is done, skipped or a dry run', async () => {
    const report = new MigrationReport('import', false);
    await report.step('index', 'a', async (step) => step.count('imported', 3));
    await report.step('index', 'b', async (step) => step.skip('exists'));
    await report.step('index', 'c', async (step) => step.dryRun('would create c'));
    expect(report.steps.map((s) => s.status)).toEqual(['ok', 'skipped', 'dry-run']);
    expect(report.exitCode).toBe(0);
  });

  it('fails only the step that threw, keeps its counts, and lists it at the end', async () => {
    const report = new MigrationReport('import', false);
    await report.step('index', 'a', async (step) => {
      step.count('imported', 2);
      throw new Error('cluster gone; 2 of 5 documents were imported before it');
    });
    await report.step('index', 'b', async (step) => step.count('imported', 1));
    expect(report.exitCode).toBe(1);
    expect(report.steps[0]).toMatchObject({ status: 'failed', counts: { imported: 2 } });
    const summary = report.summary();
    expect(summary).toContain('FAILED   index a  imported 2');
    expect(summary).toMatch(
      /Failed:\n {2}- index a: cluster gone; 2 of 5 documents were imported before it\n$/,
    );
  });

  it('makes a step with refused items partial, listing the first of them and how many more', async () => {
    const report = new MigrationReport('import', false);
    await report.step('index', 'a', async (step) => {
      for (let i = 0; i < MAX_LISTED + 3; i += 1) {
        step.count('failed');
        step.itemFailed(`doc-${i}: 400 mapper_parsing_exception`);
      }
    });
    expect(report.steps[0]?.status).toBe('partial');
    expect(report.steps[0]?.errors).toHaveLength(MAX_LISTED + 1);
    expect(report.steps[0]?.errors.at(-1)).toBe('… and 3 more');
    expect(report.summary()).toContain(`index a: ${MAX_LISTED + 3} item(s) not imported`);
    expect(report.exitCode).toBe(1);
  });

  it('adds up the counts of every step in the statistics', async () => {
    const report = new MigrationReport('export', false, { elasticsearch: 'http://es:9200' });
    await report.step('index', 'a', async (step) => step.count('documents', 4));
    await report.step('index', 'b', async (step) => step.count('documents', 6));
    report.fail('kibana', 'dataviews', new Error('Kibana down'));
    const stats = report.stats();
    expect(stats).toMatchObject({
      command: 'export',
      totals: { documents: 10 },
      source: { elasticsearch: 'http://es:9200' },
      errors: ['kibana dataviews: Kibana down'],
    });
    expect(Date.parse(stats.finished_at)).toBeGreaterThanOrEqual(Date.parse(stats.started_at));
  });

  it('prints listings and warnings before the totals', async () => {
    const report = new MigrationReport('import-reference', true);
    report.list('Not converted', ['ml-api-message: 1 document(s) not converted: status 422']);
    report.list('Empty', []);
    report.warn('x.json: not read');
    expect(report.summary()).toMatch(
      /^Not converted:\n {2}- ml-api-message: 1 .*\nwarning: x\.json: not read\nimport-reference \(dry run: nothing written\)/,
    );
  });
});

describe(terminalProgress.name, () => {
  it('draws a bar with the label and the count on the stream it is given', () => {
    const stream = Object.assign(new PassThrough(), {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    });
    let drawn = '';
    stream.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
    const bar = terminalProgress(stream)('ml-api-logs', 10);
    bar.add(4);
    bar.stop();
    expect(drawn).toContain('ml-api-logs');
    expect(drawn).toContain('4/10');
  });
});
