import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaErrors, type Schema } from './schema.ts';

const SCHEMA = JSON.parse(readFileSync(join(import.meta.dirname, 'results.schema.json'), 'utf8')) as Schema;

describe('results.schema.json', () => {
  it('accepts the specification\'s own example', () => {
    const example = {
      score: 44.0, execution_time: 136, output: 'Text relevant to the entire submission', output_format: 'simple_format',
      test_output_format: 'text', test_name_format: 'text', visibility: 'after_due_date', stdout_visibility: 'visible', extra_data: {},
      tests: [{ score: 2.0, max_score: 2.0, status: 'passed', name: 'Your name here', name_format: 'text', number: '1.1', output: 'Giant multiline string', output_format: 'text', tags: ['tag1'], visibility: 'visible', extra_data: {} }],
      leaderboard: [{ name: 'Accuracy', value: 0.926 }, { name: 'Time', value: 15.1, order: 'asc' }, { name: 'Stars', value: '*****' }],
    };
    expect(schemaErrors(SCHEMA, example)).toEqual([]);
  });
  it('names what is wrong: an unknown key, a bad status, no score anywhere', () => {
    expect(schemaErrors(SCHEMA, { score: 1, scroe: 2 })).toEqual(['$: unknown key scroe']);
    expect(schemaErrors(SCHEMA, { score: 1, tests: [{ score: 1, status: 'ok' }] })).toEqual(['$.tests[0].status: "ok" is not one of "passed", "failed"']);
    expect(schemaErrors(SCHEMA, { tests: [{ max_score: 1 }] }).join()).toMatch(/anyOf/);
    expect(schemaErrors(SCHEMA, { tests: [{ score: 1 }] })).toEqual([]);
  });
});
