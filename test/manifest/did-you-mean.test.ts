import { expect, test } from 'vitest';
import { didYouMean, editDistance } from '../../src/manifest/did-you-mean.js';

const ENVIRONMENT_FIELDS = ['python', 'path', 'prompt', 'layout', 'isolation', 'parts'];

test('adjacent transpositions count once', () => {
  expect(editDistance('isolaton', 'isolation')).toBe(1);
  expect(editDistance('pyhton', 'python')).toBe(1);
  expect(editDistance('', 'abc')).toBe(3);
});

test('suggests near misses and nothing for unrelated words', () => {
  expect(didYouMean('isolaton', ENVIRONMENT_FIELDS)).toBe('isolation');
  expect(didYouMean('pyton', ENVIRONMENT_FIELDS)).toBe('python');
  expect(didYouMean('Layout', ENVIRONMENT_FIELDS)).toBe('layout');
  expect(didYouMean('search_paths', ['mode', 'allow', 'search-paths', 'dependencies'])).toBe('search-paths');
  expect(didYouMean('colour', ENVIRONMENT_FIELDS)).toBeUndefined();
  expect(didYouMean('x', ENVIRONMENT_FIELDS)).toBeUndefined();
});
