/**
 * Floor (d) of `npm run bench`: an empty Nest + Express application with one POST handler that returns JSON,
 * nothing around it. What the framework itself costs per request.
 */
import 'reflect-metadata';
import { Body, Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';

@Controller()
class EmptyController {
  @Post('predict')
  @HttpCode(200)
  predict(@Body() body: Record<string, unknown>): object {
    return { prediction: 1, probability: 0.5, received: Object.keys(body).length };
  }
}

@Module({ controllers: [EmptyController] })
class EmptyModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create(EmptyModule, { logger: false });
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  console.log(`Listening on http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`);
}

void main();
