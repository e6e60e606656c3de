import { ExecutionContext, UnsupportedMediaTypeException } from '@nestjs/common';
import express from 'express';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { JsonBodyGuard } from './json-body.guard';

/** A request as Express builds it (its `is()` reads Content-Type and whether a body comes). */
function call(headers: Record<string, string>): ExecutionContext {
  const raw = new IncomingMessage(new Socket());
  raw.headers = headers;
  const req = Object.setPrototypeOf(raw, express.request) as express.Request;
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

const withBody = (type: string): Record<string, string> => ({ 'content-type': type, 'content-length': '2' });

describe(JsonBodyGuard.name, () => {
  const guard = new JsonBodyGuard();

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/merge-patch+json',
    'APPLICATION/JSON',
  ])('lets a %s body through', (type) => {
    expect(guard.canActivate(call(withBody(type)))).toBe(true);
  });

  it('lets a request without a body through (validation reports it)', () => {
    expect(guard.canActivate(call({}))).toBe(true);
  });

  it.each([
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
    ['text/plain', 'text/plain'],
    ['multipart/form-data; boundary=x', 'multipart/form-data; boundary=x'],
  ])('refuses a %s body with 415, naming what it got', (type, named) => {
    expect(() => guard.canActivate(call(withBody(type)))).toThrow(
      new UnsupportedMediaTypeException(`Content-Type must be application/json (got ${named})`),
    );
  });

  it('says "none" when a body comes without a Content-Type', () => {
    expect(() => guard.canActivate(call({ 'content-length': '2' }))).toThrow(
      'Content-Type must be application/json (got none)',
    );
  });
});
