// inlineParameters: which texts it writes values into, and which it leaves to be sent with parameters.
// That the written-in values mean what the parameters meant is checked against PostgreSQL in
// test/db/round-trips.test.ts.
import { describe, expect, it } from 'vitest';
import { inlineParameters } from './round-trips.js';

describe('inlineParameters', () => {
  it('writes each $n as the literal of the text pg would send for it', () => {
    expect(inlineParameters('select * from t where a = $1 and b = $2 and c = $1', [7, "o'k"])).toBe(
      "select * from t where a = '7' and b = 'o''k' and c = '7'",
    );
    expect(inlineParameters('select $1, $2, $3', [null, true, { a: 'b' }])).toBe(`select NULL, 'true', '{"a":"b"}'`);
    expect(inlineParameters('select $1', ['a\\b'])).toBe("select  E'a\\\\b'");
    expect(inlineParameters('select 1', [])).toBe('select 1');
  });

  it('leaves $n inside quoted strings and identifiers as it is', () => {
    expect(inlineParameters(`select '$1' as "$2", $1`, [5])).toBe(`select '$1' as "$2", '5'`);
    expect(inlineParameters(`select 'it''s $1', $1`, [5])).toBe(`select 'it''s $1', '5'`);
  });

  it('refuses what it cannot write in safely: binary values, comments, backslashes, dollar quotes, strays', () => {
    expect(inlineParameters('select $1', [Buffer.from('x')])).toBeNull();
    expect(inlineParameters('select $1 -- note', [1])).toBeNull();
    expect(inlineParameters('select $1 /* note */', [1])).toBeNull();
    expect(inlineParameters(`select E'\\n', $1`, [1])).toBeNull();
    expect(inlineParameters('select $$text$$, $1', [1])).toBeNull();
    expect(inlineParameters('select $body$x$body$, $1', [1])).toBeNull();
    expect(inlineParameters(`select 'open, $1`, [1])).toBeNull();
    expect(inlineParameters('select $2', [1])).toBeNull();
    expect(inlineParameters('select a$1 from t where id = $1', [1])).toBeNull();
  });
});
