import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { JsonShapeError, parseJson, type Schema } from './json.ts';

interface Point {
  readonly x: number;
  readonly tags: readonly string[];
  readonly note?: string | undefined;
}
const PointSchema: Schema<Point> = v.object({ x: v.number(), tags: v.array(v.string()), note: v.optional(v.string()) });

describe('parseJson()', () => {
  it('returns the typed value for the right shape, extra fields dropped', () => {
    expect(parseJson('{"x": 1, "tags": ["a"], "extra": true}', PointSchema, 'point.json')).toEqual({ x: 1, tags: ['a'] });
  });

  it('names the file and the first wrong field in one line', () => {
    expect(() => parseJson('{"x": "1", "tags": []}', PointSchema, 'point.json')).toThrow('point.json x: expected number, got "1"');
    expect(() => parseJson('{"x": 1, "tags": ["a", 2]}', PointSchema, 'point.json')).toThrow('point.json tags[1]: expected string, got number 2');
    expect(() => parseJson('{"tags": []}', PointSchema, 'point.json')).toThrow('point.json x: missing');
    expect(() => parseJson('"x"', PointSchema, 'point.json')).toThrow('point.json: expected Object, got "x"');
    expect(() => parseJson('{"x": 1', PointSchema, 'point.json')).toThrow(/^point\.json is not JSON \(/);
  });

  it('random text: only a one-line JsonShapeError escapes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
        try {
          parseJson(text, PointSchema, 'x.json');
        } catch (error) {
          expect(error).toBeInstanceOf(JsonShapeError);
          expect((error as Error).message).not.toContain('\n');
        }
      }),
      { numRuns: 500 },
    );
  });
});
