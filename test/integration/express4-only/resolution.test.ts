import { describe, expect, it } from '@jest/globals';
import express from 'express';

describe('express4 project', () => {
  it('really resolves `express` to Express 4 (express.query was removed in 5)', () => {
    expect(typeof (express as unknown as { query?: unknown }).query).toBe('function');
  });
});
