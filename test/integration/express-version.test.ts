import { describe, expect, it } from '@jest/globals';
import express from 'express';

describe('express resolution', () => {
  it('runs the express5 project on Express 5', () => {
    expect((express as unknown as { query?: unknown }).query).toBeUndefined();
  });
});
