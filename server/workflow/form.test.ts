// Unit tests of form schemas: what submitted data must fit, and what an author may write.
import { describe, expect, it } from 'vitest';
import { checkFormData, formSchemaProblems, type FormSchema } from './form.js';

const form: FormSchema = {
  fields: [
    { name: 'rating', label: 'Rating (1–5)', type: 'number', min: 1, max: 5, step: 1, required: true },
    { name: 'comment', label: 'Comment', type: 'textarea', maxLength: 10 },
    {
      name: 'kind',
      label: 'Kind',
      type: 'select',
      options: [
        { value: 'a', label: 'A' },
        { value: 'b', label: 'B' },
      ],
    },
    { name: 'ok', label: 'OK', type: 'checkbox' },
    { name: 'site', label: 'Site', type: 'url' },
    { name: 'due', label: 'Due', type: 'date' },
  ],
};

describe('checkFormData', () => {
  it.each([
    [{ rating: 4 }, []],
    [
      {
        rating: 5,
        comment: 'fine',
        kind: 'a',
        ok: false,
        site: 'https://example.org',
        due: '2026-12-01',
        extra: { kept: true },
      },
      [],
    ],
    [{}, [{ field: 'rating', message: 'Rating (1–5) is required.' }]],
    [{ rating: 42 }, [{ field: 'rating', message: 'Rating (1–5) must be at most 5.' }]],
    [{ rating: 0 }, [{ field: 'rating', message: 'Rating (1–5) must be at least 1.' }]],
    [{ rating: 2.5 }, [{ field: 'rating', message: 'Rating (1–5) must be a whole number.' }]],
    [{ rating: '4' }, [{ field: 'rating', message: 'Rating (1–5) must be a number.' }]],
    [
      { rating: 3, comment: 'far too long' },
      [{ field: 'comment', message: 'Comment must have at most 10 characters.' }],
    ],
    [{ rating: 3, kind: 'c' }, [{ field: 'kind', message: 'Kind must be one of: a, b.' }]],
    [{ rating: 3, ok: 'yes' }, [{ field: 'ok', message: 'OK must be checked or not (true or false).' }]],
    [
      { rating: 3, site: 'javascript:alert(1)' },
      [{ field: 'site', message: 'Site must be an http or https address.' }],
    ],
    [{ rating: 3, site: 'not a url' }, [{ field: 'site', message: 'Site must be a web address (https://…).' }]],
    [{ rating: 3, due: '2026-13-45' }, [{ field: 'due', message: 'Due must be a date (YYYY-MM-DD).' }]],
  ])('%j → %j', (data, errors) => {
    expect(checkFormData(form, data as never, { complete: true })).toEqual(errors);
  });

  it('saving checks the values given, not that required ones are there', () => {
    expect(checkFormData(form, {}, { complete: false })).toEqual([]);
    expect(checkFormData(form, { rating: 9 }, { complete: false })).toEqual([
      { field: 'rating', message: 'Rating (1–5) must be at most 5.' },
    ]);
  });
});

describe('formSchemaProblems', () => {
  it('lists every problem of a form as written', () => {
    expect(
      formSchemaProblems({
        fields: [
          { name: 'a', label: 'A', type: 'number', min: 5, max: 1 },
          { name: 'a', label: 'Again', type: 'text' },
          { name: '1x', label: '', type: 'color' },
          { name: 'pick', label: 'Pick', type: 'select' },
        ],
      }),
    ).toEqual([
      'fields[0]: min is above max',
      'fields[1].name "a" is used twice',
      'fields[2].name must be a data key (letters, digits, _)',
      'fields[2].label must be a non-empty string',
      'fields[2].type must be one of text, textarea, number, select, checkbox, url, date',
      'fields[3].options must list the choices',
    ]);
    expect(formSchemaProblems({ fields: [{ name: 'ok', label: 'OK', type: 'checkbox' }] })).toEqual([]);
    expect(formSchemaProblems('nope')).toEqual(['form must be { fields: [...] }']);
  });
});
